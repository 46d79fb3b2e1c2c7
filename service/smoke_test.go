package service_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

func TestSmoke(t *testing.T) {
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	reg.AddService("calc", "div", func(a, b int) (int, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	})
	pr, hw, _ := os.Pipe()
	hr, pw, _ := os.Pipe()
	done := make(chan error, 1)
	go func() { done <- host.Serve(context.Background(), reg, hr, hw) }()
	c := service.NewClient(pr, pw)
	var add func(int, int) (int, error)
	c.GetService("calc", "add", &add)
	n, err := add(1, 2)
	if n != 3 || err != nil {
		t.Fatalf("add = %v, %v", n, err)
	}
	var div func(context.Context, int, int) (int, error)
	c.GetService("calc", "div", &div)
	_, err = div(context.Background(), 1, 0)
	t.Logf("div err: %v, is service err %v", err, errors.Is(err, service.ErrServiceError))
	var mul func(int, int) (int, error)
	c.GetService("calc", "mul", &mul)
	_, err = mul(1, 0)
	t.Logf("mul err: %v unknown=%v", err, errors.Is(err, service.ErrUnknownService))
	names, err := c.ListServices(context.Background(), "calc")
	t.Log(names, err, c.Protocol())
	c.Close()
	t.Log("serve:", <-done)
	hr.Close()
	hw.Close()
}
