package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/registry"
)

// defaultMaxRead is the largest file the read service returns whole.
const defaultMaxRead = 8 << 20

// target is the tree being scanned, served read-only to the plugins: they
// need no access of their own, and they see nothing outside it.
type target struct {
	name    string // what is scanned, for the manifest and messages
	fsys    fs.FS
	maxRead int64
}

// define adds the target namespace to reg. It lists the tree once, so that
// a target that cannot be read fails before any plugin runs.
func (t *target) define(ctx context.Context, reg *registry.Registry) error {
	files, err := t.list(ctx)
	if err != nil {
		return err
	}
	reg.Define(scanapi.TargetNamespace, scanapi.TargetManifest{Root: t.name, Files: len(files), MaxRead: t.maxRead})
	reg.AddServices(registry.Services{scanapi.TargetNamespace: {
		"list":      t.list,
		"stat":      t.stat,
		"read":      t.read,
		"readRange": t.readRange,
	}})
	return nil
}

// list returns every regular file of the tree, sorted by path. Symbolic
// links are left out.
func (t *target) list(ctx context.Context) ([]scanapi.Entry, error) {
	var files []scanapi.Entry
	err := fs.WalkDir(t.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, scanapi.Entry{Path: p, Size: info.Size(), Mode: info.Mode()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("target: listing %s: %w", t.name, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// stat describes one file or directory ("." is the root).
func (t *target) stat(p string) (scanapi.Entry, error) {
	if err := checkPath(p); err != nil {
		return scanapi.Entry{}, pathError("stat", p, err)
	}
	info, err := fs.Stat(t.fsys, p)
	if err != nil {
		return scanapi.Entry{}, pathError("stat", p, err)
	}
	return scanapi.Entry{Path: p, Size: info.Size(), Mode: info.Mode()}, nil
}

// read returns the contents of a regular file of at most maxRead bytes.
func (t *target) read(p string) ([]byte, error) {
	f, size, err := t.open("read", p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > t.maxRead {
		return nil, pathError("read", p, fmt.Errorf("%d bytes is more than read returns (%d): use readRange", size, t.maxRead))
	}
	b, err := io.ReadAll(io.LimitReader(f, t.maxRead+1))
	if err != nil {
		return nil, pathError("read", p, err)
	}
	if int64(len(b)) > t.maxRead {
		return nil, pathError("read", p, fmt.Errorf("grew past %d bytes while being read: use readRange", t.maxRead))
	}
	return b, nil
}

// readRange returns at most n bytes of a regular file from offset off: fewer
// at the end of the file, none past it.
func (t *target) readRange(p string, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || n > t.maxRead {
		return nil, pathError("readRange", p, fmt.Errorf("offset %d, length %d: want offset >= 0 and 0 <= length <= %d", off, n, t.maxRead))
	}
	f, _, err := t.open("readRange", p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := skip(f, off); err != nil {
		return nil, pathError("readRange", p, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, n))
	if err != nil {
		return nil, pathError("readRange", p, err)
	}
	return b, nil
}

// open opens a regular file for the service op and returns its size.
func (t *target) open(op, p string) (fs.File, int64, error) {
	if err := checkPath(p); err != nil {
		return nil, 0, pathError(op, p, err)
	}
	f, err := t.fsys.Open(p)
	if err != nil {
		return nil, 0, pathError(op, p, err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, 0, pathError(op, p, err)
	}
	return f, info.Size(), nil
}

// skip moves f forward by off bytes, seeking when it can.
func skip(f fs.File, off int64) error {
	if s, ok := f.(io.Seeker); ok {
		_, err := s.Seek(off, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, f, off)
	if err == io.EOF {
		return nil
	}
	return err
}

// errBadPath is what a path escaping the root, or not in io/fs form, gets.
var errBadPath = errors.New(`invalid path: want a slash-separated path inside the target, without "." or ".." elements or a leading "/"`)

// checkPath refuses a path that is not a valid io/fs path. The fs.FS
// implementations check too, but the message here says what is expected.
func checkPath(p string) error {
	if !fs.ValidPath(p) {
		return errBadPath
	}
	return nil
}

// pathError names the service and the path the plugin asked for. An
// fs.PathError is unwrapped so that the path is not named twice, possibly
// in the form of the host's file system.
func pathError(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("target: %s %q: %w", op, p, err)
}
