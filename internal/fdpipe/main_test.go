//go:build linux

package fdpipe

import (
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMain runs the test binary as the echo peer of BenchmarkPingPong
// when the benchmark starts it so.
func TestMain(m *testing.M) {
	if mode := os.Getenv("FDPIPE_ECHO"); mode != "" {
		echo(mode == "fdpipe")
		return
	}
	os.Exit(m.Run())
}

// echo writes back each byte it reads, on descriptors 3 (in) and 4 (out),
// adopted or as *os.File, until its input ends. The descriptors a process
// inherits are blocking: they are put in non-blocking mode first, as the
// opener does, so that os.NewFile gives them to the netpoller.
func echo(adopt bool) {
	for _, fd := range []int{3, 4} {
		if err := unix.SetNonblock(fd, true); err != nil {
			os.Exit(2)
		}
	}
	var in, out io.ReadWriteCloser = os.NewFile(3, "in"), os.NewFile(4, "out")
	if adopt {
		in, out = Adopt(in.(*os.File)), Adopt(out.(*os.File))
	}
	var p [1]byte
	for {
		if _, err := in.Read(p[:]); err != nil {
			return
		}
		if _, err := out.Write(p[:]); err != nil {
			return
		}
	}
}
