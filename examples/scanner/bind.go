package main

import (
	"fmt"
	"runtime"

	"github.com/hostcall/hostcall/host"
)

// defaultBind is the transport used unless --bind says otherwise: anonymous
// pipes through procfs on Linux, inherited descriptors elsewhere.
func defaultBind() string {
	if runtime.GOOS == "linux" {
		return "procfs"
	}
	return "inherited"
}

// bindOption returns the transport that --bind names, and what to release
// once the scan is over.
func bindOption(name string) (host.BindOption, func(), error) {
	switch name {
	case "procfs":
		return host.WithAnonymousPipe(), func() {}, nil
	case "inherited":
		return host.WithInheritedPipes(), func() {}, nil
	case "named":
		return namedPipes()
	}
	return nil, nil, fmt.Errorf("--bind %q: want procfs, inherited or named", name)
}
