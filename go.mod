module github.com/hostcall/hostcall

go 1.24.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/json-iterator/go v1.1.12
	github.com/modern-go/reflect2 v1.0.2
	github.com/spf13/pflag v1.0.10
	golang.org/x/sys v0.41.0
)

require github.com/modern-go/concurrent v0.0.0-20180228061459-e0a39a4cb421 // indirect
