// Command ttrpc-plugin is the plugin of the ttrpc system: a ttrpc client on
// the socket it inherits as descriptor 3.
package main

import (
	"context"
	"net"
	"os"

	"github.com/containerd/ttrpc"
	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/protocall"
)

func main() {
	var p harness.Params
	p.AddFlags(pflag.CommandLine)
	pflag.Parse()
	f := os.NewFile(3, "host")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		harness.Fatal("ttrpc-plugin", err)
	}
	client := ttrpc.NewClient(conn)
	c := protocall.New(func(ctx context.Context, method string, req, resp any) error {
		return client.Call(ctx, "hostcall.bench.Host", method, req, resp)
	}, func(ctx context.Context, method string, req any) (protocall.Receiver, error) {
		return client.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, "hostcall.bench.Host", method, req)
	}, "")
	err = harness.RunPlugin("ttrpc", p, c, nil)
	client.Close()
	if err != nil {
		harness.Fatal("ttrpc-plugin", err)
	}
}
