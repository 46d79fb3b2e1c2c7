// Command plugin is the plugin of the README: it calls the host's calc.add.
package main

import (
	"fmt"
	"log"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "adder", Version: "1.0.0",
		Commands: []pluginexec.Command{{Path: []string{"add"}, Type: "demo"}}})
	service.AddHostFlags(pflag.CommandLine) // --host-file, passed by the host
	pflag.Parse()

	var add func(a, b int) (int, error)
	if err := service.GetService("calc", "add", &add); err != nil {
		log.Fatal(err) // add's types cannot cross the wire: add stays nil
	}
	sum, err := add(1, 2) // (3, nil), computed by the host
	fmt.Println(sum, err)
}
