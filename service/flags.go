package service

import (
	"strings"

	"github.com/spf13/pflag"
)

// Flag names: --host-file, and --host, the spelling of hosts of the older
// convention.
const (
	HostFileFlag = "host-file"
	HostFlag     = "host"
)

// urlList is a repeatable flag value that appends every URL it is given,
// whichever of its names set it.
type urlList struct{ urls *[]string }

func (l urlList) String() string     { return strings.Join(*l.urls, ",") }
func (l urlList) Type() string       { return "url" }
func (l urlList) Set(v string) error { *l.urls = append(*l.urls, v); return nil }

// AddHostFlags adds the repeatable --host-file flag, and its alias --host,
// to fs. The host passes one URL (opened read-write) or two (the first read,
// the second written); InitServiceClient and the package-level calls use
// them once fs has been parsed.
func AddHostFlags(fs *pflag.FlagSet) {
	std.mu.Lock()
	std.flagsAdded = true
	urls := &std.urls
	std.mu.Unlock()
	fs.Var(urlList{urls}, HostFileFlag, "URL of the pipes to the host (given by the host; repeat for input then output)")
	fs.Var(urlList{urls}, HostFlag, "alias of --host-file")
}

// HostURLsFromArgs finds the --host-file and --host values in args (a
// plugin's arguments), in order, as the default client does for a plugin
// that did not register the flags: "--host-file URL" and "--host-file=URL",
// up to "--". For programs that parse arguments of their own, such as a
// command that a shell plugin hands "$@".
func HostURLsFromArgs(args []string) []string {
	var urls []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, name := range []string{HostFileFlag, HostFlag} {
			switch {
			case a == "--"+name && i+1 < len(args):
				urls = append(urls, args[i+1])
				i++
			case strings.HasPrefix(a, "--"+name+"="):
				urls = append(urls, strings.TrimPrefix(a, "--"+name+"="))
			}
		}
	}
	return urls
}
