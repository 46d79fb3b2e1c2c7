package service_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// A client and a host in one process, joined by in-memory pipes. Between
// processes they would be joined by OS pipes (see package host's Bind).
func Example() {
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	reg.AddService("calc", "div", func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	})

	reqR, reqW := io.Pipe()
	respR, respW := io.Pipe()
	served := make(chan error)
	go func() { served <- host.Serve(context.Background(), reg, reqR, respW) }()

	c := service.NewClient(respR, reqW)
	var add func(a, b int) (int, error)
	c.GetService("calc", "add", &add)
	fmt.Println(add(1, 2))

	var div func(ctx context.Context, a, b float64) (float64, error)
	c.GetService("calc", "div", &div)
	_, err := div(context.Background(), 1, 0)
	fmt.Println(err, errors.Is(err, service.ErrServiceError))

	var mul func(a, b int) (int, error)
	c.GetService("calc", "mul", &mul)
	_, err = mul(2, 3)
	fmt.Println(errors.Is(err, service.ErrUnknownService))

	c.Close()
	fmt.Println("Serve:", <-served)
	// Output:
	// 3 <nil>
	// service calc.div: division by zero true
	// true
	// Serve: <nil>
}

// A plugin started without --host-file still runs; its calls fail with
// ErrNotHosted.
func ExampleDial_notHosted() {
	c, _ := service.Dial(context.Background(), nil)
	var add func(a, b int) (int, error)
	c.GetService("calc", "add", &add)
	_, err := add(1, 2)
	fmt.Println(errors.Is(err, service.ErrNotHosted))
	// Output: true
}

// A plugin logs with log/slog: the host's logger (host.WithLogger) gets
// each record, with the plugin's name, command and process id.
func ExampleLogHandler() {
	slog.SetDefault(slog.New(service.LogHandler(&slog.HandlerOptions{Level: slog.LevelDebug})))

	slog.Info("scanning", "files", 9, slog.Group("req", "id", "a1"))
	slog.Warn("skipping", "path", "big.bin", "err", errors.New("too large"))

	// Records are sent in the background: send what is queued before
	// the plugin exits.
	service.FlushLogs(context.Background())
}
