package opener_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/hostcall/hostcall/opener"
)

// A host builds the --host-file arguments of a plugin with the URL helpers.
func ExampleFileURL() {
	fmt.Println(opener.FileURL("/run/hostcall/in"))
	fmt.Println(opener.FileURL("/tmp/my plugin/100%.fifo"))
	fmt.Println(opener.FDURL(3))
	fmt.Println(opener.UnixURL("/run/hostcall.sock"))
	// Output:
	// file:///run/hostcall/in
	// file:///tmp/my%20plugin/100%25.fifo
	// fd://3
	// unix:///run/hostcall.sock
}

// A plugin opens the URL it was given, whatever its scheme.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "opener-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "host stream")
	if err := os.WriteFile(path, []byte("hello from the host\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	in, err := opener.Open(opener.FileURL(path), os.O_RDONLY)
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	_, isFile := in.(*os.File)
	fmt.Println("*os.File:", isFile)
	if _, err := io.Copy(os.Stdout, in); err != nil {
		log.Fatal(err)
	}

	_, err = opener.Open("ftp://example.com/x", os.O_RDONLY)
	fmt.Println("unknown scheme:", errors.Is(err, opener.ErrUnknownScheme))
	// Output:
	// *os.File: true
	// hello from the host
	// unknown scheme: true
}
