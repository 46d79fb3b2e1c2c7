package opener_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"sync"

	"github.com/hostcall/hostcall/opener"
)

// memFiles is an in-memory file system for the mem scheme: mem://name
// names a buffer.
var memFiles = struct {
	sync.Mutex
	bufs map[string]*bytes.Buffer
}{bufs: make(map[string]*bytes.Buffer)}

// memFile is an open mem URL.
type memFile struct{ *bytes.Buffer }

func (memFile) Close() error { return nil }

func openMem(u *url.URL, flag int) (io.ReadWriteCloser, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("mem URL needs a name, as in mem://name")
	}
	memFiles.Lock()
	defer memFiles.Unlock()
	b, ok := memFiles.bufs[u.Host]
	if !ok {
		if flag&os.O_CREATE == 0 {
			return nil, fmt.Errorf("no mem file %q", u.Host)
		}
		b = new(bytes.Buffer)
		memFiles.bufs[u.Host] = b
	}
	return memFile{b}, nil
}

// Registering in init makes the scheme available before main runs, and
// registers it once however many times the example runs.
func init() {
	if err := opener.Register("mem", openMem); err != nil {
		panic(err)
	}
}

// A host or plugin adds a transport by registering a FileOpener for a new
// scheme. Here mem://name is an in-memory buffer.
func ExampleRegister() {
	w, err := opener.Open("mem://greeting", os.O_WRONLY|os.O_CREATE)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(w, "hello, mem")
	w.Close()

	r, err := opener.Open("MEM://greeting", os.O_RDONLY) // schemes are case-insensitive
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if _, err := io.Copy(os.Stdout, r); err != nil {
		log.Fatal(err)
	}

	_, err = opener.Open("mem://nothing", os.O_RDONLY)
	fmt.Println(err)
	// Output:
	// hello, mem
	// opener: open "mem://nothing": no mem file "nothing"
}
