// Command raw-plugin is the plugin of the raw system: it calls the host
// through the blocking pipes it inherits as descriptors 3 (responses) and
// 4 (requests).
package main

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/rawpipe"
)

func main() {
	var p harness.Params
	p.AddFlags(pflag.CommandLine)
	pflag.Parse()
	w, _ := harness.LookupWorkload(p.Workload)
	r := os.NewFile(3, "from-host")
	wr := os.NewFile(4, "to-host")
	c := rawpipe.NewClient(r, wr, w.Conc > 1)
	err := harness.RunPlugin("raw", p, c, nil)
	wr.Close() // the host sees the end of its input and returns
	if err != nil {
		harness.Fatal("raw-plugin", err)
	}
}
