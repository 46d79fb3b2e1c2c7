package input

import (
	"fmt"
	"os"
	"testing"

	"github.com/hostcall/hostcall/pluginexec"
)

// pluginEnv makes the test binary act as the plugin (the re-exec helper
// process pattern).
const pluginEnv = "HOSTCALL_FAULTS_INPUT_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		os.Exit(pluginMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// Plugin commands, one per run; each is its own command type so that a test
// runs one with IterateTyped.
const (
	cmdMixed = "mixed" // every kind of bad input, each followed by a valid call
	cmdHuge  = "huge"  // a 1 GiB object, streamed
	// The stream ends inside an object: the plugin exits mid-frame.
	cmdCutString = "cut-string" // inside a string of a call
	cmdCutHuge   = "cut-huge"   // inside an object already over the limit
	cmdCutBlobs  = "cut-blobs"  // inside the raw blobs of a frame
	cmdCutNested = "cut-nested" // 10^5 brackets deep
	cmdCutCrash  = "cut-crash"  // inside a string, then exit status 3
)

var pluginManifest = func() pluginexec.Manifest {
	m := pluginexec.Manifest{Name: "badinput", Version: "1.0.0"}
	for _, c := range []string{cmdMixed, cmdHuge, cmdCutString, cmdCutHuge, cmdCutBlobs, cmdCutNested, cmdCutCrash} {
		m.Commands = append(m.Commands, pluginexec.Command{Path: []string{c}, Type: c})
	}
	return m
}()

// pluginMain is the plugin: "info" prints the manifest; a command opens the
// host's URLs, runs its script and prints the tally on stdout.
func pluginMain(args []string) int {
	if len(args) > 0 && args[0] == pluginexec.InfoCommand {
		if err := pluginexec.WriteInfo(os.Stdout, pluginManifest); err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "plugin: no command")
		return 2
	}
	cmd, urls := args[0], hostURLs(args[1:])
	d, err := dial(urls)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	status := 0
	switch cmd {
	case cmdMixed:
		d.runSteps(mixedSteps())
		d.quiet()
	case cmdHuge:
		d.runSteps(hugeSteps())
	case cmdCutString, cmdCutHuge, cmdCutBlobs, cmdCutNested, cmdCutCrash:
		d.validCall("before the cut")
		d.writeCut(cmd)
		if cmd == cmdCutCrash {
			status = 3
		}
	default:
		fmt.Fprintf(os.Stderr, "plugin: unknown command %q\n", cmd)
		return 2
	}
	d.tally.MaxRSSKiB = procStatusKiB("VmHWM")
	if err := d.report(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	if status == 0 {
		d.close()
	}
	return status // a crash: the pipes close when the process exits
}

// hostURLs picks the values of --host-file and --host out of args.
func hostURLs(args []string) []string {
	var urls []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "--host-file" || a == "--host") && i+1 < len(args):
			urls = append(urls, args[i+1])
			i++
		case len(a) > len("--host-file=") && a[:len("--host-file=")] == "--host-file=":
			urls = append(urls, a[len("--host-file="):])
		}
	}
	return urls
}
