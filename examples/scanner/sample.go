package main

import (
	"embed"
	"io/fs"
)

// sampleFiles is the tree scanned when no directory is given: a few files
// with planted problems (testdata/target).
//
//go:embed testdata/target
var sampleFiles embed.FS

// sampleName names the sample tree in messages.
const sampleName = "the embedded sample (testdata/target)"

// sample returns the sample tree, rooted at testdata/target.
func sample() fs.FS {
	sub, err := fs.Sub(sampleFiles, "testdata/target")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return sub
}
