package host_test

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
)

// Serve on an in-memory pipe pair, writing the requests by hand as a plugin
// in any language would.
func ExampleServe() {
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })

	reqR, reqW := io.Pipe()   // plugin -> host
	respR, respW := io.Pipe() // host -> plugin
	done := make(chan error)
	go func() { done <- host.Serve(context.Background(), reg, reqR, respW) }()

	responses := bufio.NewScanner(respR)
	for _, req := range []string{
		`{"sequence":1,"type":"call","namespace":"calc","name":"add","args":[1,2]}`,
		`{"sequence":2,"type":"listServices","namespace":"calc"}`,
		`{"sequence":3,"type":"call","namespace":"calc","name":"mul","args":[1,2]}`,
	} {
		fmt.Fprintln(reqW, req)
		responses.Scan()
		fmt.Println(responses.Text())
	}
	reqW.Close() // the plugin closes its stream: Serve returns nil
	fmt.Println("Serve:", <-done)
	// Output:
	// {"sequence":1,"reply":[3]}
	// {"sequence":2,"services":["add"]}
	// {"sequence":3,"error":"undefined service \"mul\" in namespace \"calc\"","code":"unknown_service"}
	// Serve: <nil>
}
