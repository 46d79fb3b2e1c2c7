// Package providerapi is the contract between a provisioning server (the
// host) and its provider plugins, in the shape of dr-provision's plugin
// providers: the server configures the provider, asks it to run actions on
// machines, and stops it; while it runs an action, the provider publishes
// events and log lines back to the server.
package providerapi

import "context"

// The provider serves the namespace Namespace:
//
//	config(ctx, cfg Config) error                 once, before any action
//	action(ctx, a Action) (string, error)         the machine's new state
//
// and, while it handles them, calls the server's EventsNamespace and
// LogNamespace:
//
//	publish(ctx, e Event) error
//	line(ctx, level, message string) error
const (
	Namespace       = "provider"
	EventsNamespace = "events"
	LogNamespace    = "log"
)

// Config is what the server sends the provider before any action: the site
// it works for and the machines it manages there.
type Config struct {
	Site     string   `json:"site"`
	Machines []string `json:"machines"`
}

// Action asks the provider to run Command on Machine.
//
//	power   Params["state"] is "on" or "off"
//	erase   wipes the machine's disks: slow, until the server cancels it
type Action struct {
	Command string            `json:"command"`
	Machine string            `json:"machine"`
	Params  map[string]string `json:"params,omitempty"`
}

// Event is what the provider publishes about an object while it works.
type Event struct {
	Type   string `json:"type"`   // the kind of object: "machines"
	Key    string `json:"key"`    // which one: the machine's name
	Action string `json:"action"` // what happened: the command, or "canceled"
	Detail string `json:"detail"`
}

// The consumer funcs of the services: the types a caller declares and fills
// with GetService.
type (
	ConfigFunc  = func(ctx context.Context, cfg Config) error
	ActionFunc  = func(ctx context.Context, a Action) (string, error)
	PublishFunc = func(ctx context.Context, e Event) error
	LogFunc     = func(ctx context.Context, level, message string) error
)
