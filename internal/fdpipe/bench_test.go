//go:build linux

package fdpipe

import (
	"io"
	"os"
	"os/exec"
	"testing"
)

// BenchmarkPingPong sends one byte back and forth with a child process
// that echoes it, as a small call and its reply go between a host and a
// plugin: both ends on *os.File (the runtime's netpoller), or both on
// Files adopted from them (waits in ppoll, spinning while answers come
// quickly). The bench module's lat workload measures the same through the
// whole stack.
func BenchmarkPingPong(b *testing.B) {
	for _, mode := range []string{"os.File", "fdpipe"} {
		b.Run(mode, func(b *testing.B) {
			toChild, childIn, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			childOut, fromChild, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "FDPIPE_ECHO="+mode)
			cmd.ExtraFiles = []*os.File{toChild, fromChild} // 3, 4
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			toChild.Close()
			fromChild.Close()
			w, r := io.WriteCloser(childIn), io.ReadCloser(childOut)
			if mode == "fdpipe" {
				w, r = Adopt(childIn), Adopt(childOut)
			}
			waited := false
			defer func() { // on a failure too: the child reads the end and exits
				if !waited {
					w.Close()
					cmd.Wait()
					r.Close()
				}
			}()
			var p [1]byte
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(p[:]); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Read(p[:]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			w.Close() // the child reads the end and exits
			waited = true
			if err := cmd.Wait(); err != nil {
				b.Fatalf("echo child: %v", err)
			}
			r.Close()
		})
	}
}
