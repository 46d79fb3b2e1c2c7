// Command plugin is the kv plugin: it keeps one counter per key, in a
// file, and has the host do the additions. It is the port of the
// bidirectional KV example of hashicorp/go-plugin: the plugin serves put
// and get, and calls the host's sum while it serves put.
//
// The host runs it as `plugin serve --host-file ...`. It keeps its files,
// kv_KEY, in $KV_DIR, or in the working directory when that is not set.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/hostcall/hostcall/examples/kv/kvapi"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "kv", Version: "1.0.0",
		Commands: []pluginexec.Command{{Path: []string{"serve"}, Type: "kv"}}})
	log.SetFlags(0)

	s := &store{dir: os.Getenv("KV_DIR")}
	if s.dir == "" {
		s.dir = "."
	}
	if err := service.GetService(kvapi.HelperNamespace, "sum", &s.sum); err != nil {
		log.Fatal(err)
	}
	reg := registry.New()
	reg.AddServices(registry.Services{kvapi.Namespace: {"put": s.put, "get": s.get}})
	if err := service.Serve(context.Background(), reg); err != nil { // until the host is done
		log.Fatal(err)
	}
}

// store keeps the counters in files, one per key.
type store struct {
	dir string
	sum kvapi.Sum  // the host's helper.sum
	mu  sync.Mutex // one put at a time: it reads, has the host add, then writes
}

// put adds value to key's counter; the host computes the sum.
func (s *store) put(ctx context.Context, key string, value int64) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := read(path)
	if err != nil && !errors.Is(err, kvapi.ErrNotFound) {
		return err
	}
	n, err := s.sum(ctx, old, value) // a call to the host inside the host's call
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.FormatInt(n, 10)+"\n"), 0o644)
}

// get returns key's counter.
func (s *store) get(key string) (int64, error) {
	path, err := s.path(key)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return read(path)
}

// path is the file of key: kv_KEY in the store's directory.
func (s *store) path(key string) (string, error) {
	if key == "" || strings.ContainsAny(key, `/\`+"\x00") {
		return "", fmt.Errorf("kv: bad key %q: empty, or with a slash", key)
	}
	return filepath.Join(s.dir, "kv_"+key), nil
}

func read(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("%w: %q", kvapi.ErrNotFound, strings.TrimPrefix(filepath.Base(path), "kv_"))
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
