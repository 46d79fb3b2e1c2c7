// Command plugin-stdflag is the README's plugin without pflag: its flags
// are the standard flag package's, and the default client finds the host's
// --host-file arguments in os.Args by itself.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "adder-stdflag", Version: "1.0.0",
		Commands: []pluginexec.Command{{Path: []string{"add"}, Type: "demo"}}})

	// The host runs "plugin-stdflag add --host-file URL --host-file URL
	// [user args]": parse after the command's path word, and accept the
	// host's flags (service reads them from os.Args, not from here).
	fs := flag.NewFlagSet("add", flag.ExitOnError)
	a := fs.Int("a", 1, "first operand")
	b := fs.Int("b", 2, "second operand")
	ignore := func(string) error { return nil }
	fs.Func(service.HostFileFlag, "URL of the pipes to the host (given by the host)", ignore)
	fs.Func(service.HostFlag, "alias of --host-file", ignore)
	if len(os.Args) < 2 || os.Args[1] != "add" {
		log.Fatal("usage: plugin-stdflag add [-a N] [-b N]")
	}
	fs.Parse(os.Args[2:])

	var add func(a, b int) (int, error)
	if err := service.GetService("calc", "add", &add); err != nil {
		log.Fatal(err)
	}
	sum, err := add(*a, *b) // computed by the host
	fmt.Println(sum, err)
}
