// Command raw-host is the host of the raw system: it starts the plugin with
// two blocking OS pipes as descriptors 3 and 4 and answers its requests
// (package rawpipe).
package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/rawpipe"
)

func main() {
	p, plugin := harness.ParseHost(nil)
	if err := run(p, plugin); err != nil {
		harness.Fatal("raw-host", err)
	}
}

func run(p harness.Params, plugin string) error {
	pluginR, hostW, err := os.Pipe()
	if err != nil {
		return err
	}
	hostR, pluginW, err := os.Pipe()
	if err != nil {
		return err
	}
	// Fd puts the descriptors in blocking mode: reads and writes are
	// plain system calls, with no poller.
	for _, f := range []*os.File{pluginR, hostW, hostR, pluginW} {
		f.Fd()
	}
	cmd := exec.Command(plugin, p.PluginArgs()...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{pluginR, pluginW}
	if err := cmd.Start(); err != nil {
		return err
	}
	pluginR.Close()
	pluginW.Close()
	serveErr := rawpipe.Serve(hostR, hostW)
	hostW.Close()
	hostR.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	if serveErr != nil {
		return serveErr
	}
	return harness.FinishHost(p)
}
