package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"

	"github.com/hostcall/hostcall/registry"
)

// A canned registry file maps namespaces to their manifest and services;
// each service gives the same answer whatever its arguments:
//
//	{
//	  "calc": {
//	    "manifest": {"description": "arithmetic"},
//	    "services": {
//	      "add":   {"reply": [3]},
//	      "pair":  {"reply": [7, "seven"]},
//	      "void":  {},
//	      "fail":  {"error": "boom"},
//	      "crash": {"panic": "on purpose"}
//	    }
//	  }
//	}
//
// reply is the array of the service's results (none when absent); error
// makes every call fail with that message (code service_error); panic makes
// the service panic with that value (code panic). A namespace without
// manifest has none (getManifest answers null).
type cannedFile map[string]cannedNamespace

type cannedNamespace struct {
	Manifest json.RawMessage          `json:"manifest"`
	Services map[string]cannedService `json:"services"`
}

type cannedService struct {
	Reply []json.RawMessage `json:"reply"`
	Error *string           `json:"error"`
	Panic *string           `json:"panic"`
}

// loadCanned reads a canned registry file.
func loadCanned(path string) (*registry.Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCanned(b, path)
}

// parseCanned builds the registry of a canned registry file's content;
// errors name the file (path) and the namespace and service at fault.
func parseCanned(b []byte, path string) (reg *registry.Registry, err error) {
	var f cannedFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("registry file %s: %w", path, err)
	}
	reg = registry.New()
	defer func() { // Define and AddService panic on misuse: a bad file here
		if r := recover(); r != nil {
			reg, err = nil, fmt.Errorf("registry file %s: %v", path, r)
		}
	}()
	for _, ns := range sortedKeys(f) {
		n := f[ns]
		if ns == "" {
			return nil, fmt.Errorf("registry file %s: a namespace has an empty name", path)
		}
		var manifest any
		if len(n.Manifest) > 0 && !bytes.Equal(bytes.TrimSpace(n.Manifest), []byte("null")) {
			manifest = n.Manifest
		}
		reg.Define(ns, manifest)
		for _, name := range sortedKeys(n.Services) {
			s := n.Services[name]
			if (s.Error != nil && (s.Reply != nil || s.Panic != nil)) || (s.Panic != nil && s.Reply != nil) {
				return nil, fmt.Errorf("registry file %s: service %s.%s: give one of reply, error and panic", path, ns, name)
			}
			reg.AddService(ns, name, cannedFunc(s))
		}
	}
	return reg, nil
}

var (
	rawType   = reflect.TypeOf(json.RawMessage(nil))
	rawsType  = reflect.TypeOf([]json.RawMessage(nil))
	ctxType   = reflect.TypeOf((*context.Context)(nil)).Elem()
	errorType = reflect.TypeOf((*error)(nil)).Elem()
)

// cannedFunc makes the func of a canned service: it takes any arguments
// (func(ctx, ...json.RawMessage)) and returns one json.RawMessage per
// element of the reply, then an error.
func cannedFunc(s cannedService) any {
	outs := make([]reflect.Type, 0, len(s.Reply)+1)
	for range s.Reply {
		outs = append(outs, rawType)
	}
	outs = append(outs, errorType)
	typ := reflect.FuncOf([]reflect.Type{ctxType, rawsType}, outs, true)
	return reflect.MakeFunc(typ, func([]reflect.Value) []reflect.Value {
		if s.Panic != nil {
			panic(*s.Panic)
		}
		res := make([]reflect.Value, 0, len(outs))
		for _, r := range s.Reply {
			res = append(res, reflect.ValueOf(r))
		}
		var err error
		if s.Error != nil {
			err = errors.New(*s.Error)
		}
		return append(res, reflect.ValueOf(&err).Elem())
	}).Interface()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
