package service

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/hostcall/hostcall/internal/fdpipe"
	"github.com/hostcall/hostcall/opener"
	"golang.org/x/sys/unix"
)

// Dial takes the pipes it opens out of the runtime's netpoller
// (internal/fdpipe), and leaves alone what is not a non-blocking file.
func TestDialAdoptsItsPipes(t *testing.T) {
	hr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Close()
	defer pw.Close()
	pr, hw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer hw.Close()
	url := func(f *os.File) string {
		return opener.FileURL(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	}
	c, err := Dial(context.Background(), []string{url(pr), url(pw)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.in.(*fdpipe.File); !ok {
		t.Errorf("the client reads a %T, want *fdpipe.File", c.in)
	}
	if _, ok := c.out.(*fdpipe.File); !ok {
		t.Errorf("the client writes a %T, want *fdpipe.File", c.out)
	}
	// One URL, opened read-write (a FIFO here): one File both ways.
	fifo := t.TempDir() + "/fifo"
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	c1, err := Dial(context.Background(), []string{opener.FileURL(fifo)})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if _, ok := c1.in.(*fdpipe.File); !ok || any(c1.in) != any(c1.out) {
		t.Errorf("a client dialled on one URL reads a %T and writes a %T, want the same *fdpipe.File", c1.in, c1.out)
	}
	// A regular file is not a pipe: it stays an *os.File.
	path := t.TempDir() + "/regular"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := adopt(f); got != f {
		t.Errorf("adopt of a regular file returned a %T", got)
	}
	f.Close()
}
