//go:build !unix

package main

import (
	"errors"

	"github.com/hostcall/hostcall/host"
)

func namedPipes() (host.BindOption, func(), error) {
	return nil, nil, errors.New("--bind named: named pipes need a Unix host")
}
