// Command host is a receptor-style event router with one service, "web":
// a watcher plugin watches a directory of node files and streams its
// events to the host, which publishes them on the topic "web"; a reactor
// plugin is pushed the topic (the host passes it a stream) and keeps a
// backends file, and two subscriber plugins follow the topic themselves
// (they call the host's events.subscribe), one of them only for its first
// two events.
//
//	host WATCHER-PLUGIN REACTOR-PLUGIN
//
// The host makes the node files itself, in a temporary directory: web1 and
// web2 at first, then web3 once the watcher reported two events, then it
// removes web1. After the fourth event it stops reading the watcher's
// stream, which stops the watcher's producer, and closes the topic, which
// ends the reactor's and the subscribers' streams. Events and results go to
// stdout, the plugins' logs and the hub's to stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/hostcall/hostcall/examples/receptor/hub"
	"github.com/hostcall/hostcall/examples/receptor/receptorapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

const topic = "web"

func main() {
	log.SetFlags(0)
	log.SetPrefix("host: ")
	if len(os.Args) != 3 {
		log.Fatal("usage: host WATCHER-PLUGIN REACTOR-PLUGIN")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2], os.Stdout); err != nil {
		stop()
		log.Fatal(err)
	}
}

// router is the host: the hub, and the directories of the demo.
type router struct {
	hub      *hub.Hub
	reg      *registry.Registry // events.subscribe, for the subscribers
	nodes    string             // the watched directory
	out      string             // the reactor's
	stdout   io.Writer
	watcher  *host.Running
	reactor  *host.Running
	follower *pluginexec.Plugin // the reactor binary, whose follow command subscribes
}

func run(ctx context.Context, watcherPath, reactorPath string, stdout io.Writer) (err error) {
	tmp, err := os.MkdirTemp("", "receptor-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := &router{hub: hub.New(), reg: registry.New(), nodes: filepath.Join(tmp, "nodes"), out: filepath.Join(tmp, "out"), stdout: stdout}
	r.hub.Left = func(topic string, remain int) { log.Printf("a subscriber left %s, %d remain", topic, remain) }
	r.reg.AddService(receptorapi.EventsNamespace, "subscribe", r.hub.Subscribe)
	if err := errors.Join(os.Mkdir(r.nodes, 0o755), os.Mkdir(r.out, 0o755),
		writeNode(r.nodes, "web1", "10.0.0.1:80"), writeNode(r.nodes, "web2", "10.0.0.2:80")); err != nil {
		return err
	}
	if err := r.start(ctx, watcherPath, reactorPath); err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, r.watcher.Stop(ctx), r.reactor.Stop(ctx))
		if err == nil {
			fmt.Fprintln(stdout, "stopped")
		}
	}()
	return r.route(ctx)
}

// start starts the watcher and the reactor, and configures them.
func (r *router) start(ctx context.Context, watcherPath, reactorPath string) error {
	wp, err := pluginexec.NewPlugin(ctx, watcherPath)
	if err != nil {
		return err
	}
	if r.follower, err = pluginexec.NewPlugin(ctx, reactorPath); err != nil {
		return err
	}
	if r.watcher, err = host.Start(ctx, wp, registry.New(), host.WithCommand("watch")); err != nil {
		return err
	}
	if r.reactor, err = host.Start(ctx, r.follower, r.reg, host.WithCommand("react")); err != nil {
		return errors.Join(err, r.watcher.Stop(ctx))
	}
	var setupW receptorapi.SetupWatcher
	var setupR receptorapi.SetupReactor
	return errors.Join(
		r.watcher.GetService(receptorapi.WatcherNamespace, "setup", &setupW),
		r.reactor.GetService(receptorapi.ReactorNamespace, "setup", &setupR),
		setupW(ctx, receptorapi.WatcherSetup{PollMS: 20}),
		setupR(ctx, receptorapi.ReactorSetup{OutDir: r.out}))
}

type summary struct {
	receptorapi.Summary
	err error
}

// route connects the reactor and two subscribers to the topic, then
// publishes the watcher's events on it.
func (r *router) route(ctx context.Context) error {
	defer r.hub.Close(topic) // on errors too: the streams of the topic end
	var acceptR receptorapi.AcceptReactor
	if err := r.reactor.GetService(receptorapi.ReactorNamespace, "accept", &acceptR); err != nil {
		return err
	}
	reacted := make(chan summary, 1)
	go func() {
		// The reactor reads the hub's stream of the topic: pushed.
		s, err := acceptR(ctx, topic, r.hub.Subscribe(ctx, topic))
		reacted <- summary{s, err}
	}()
	followed := [2]chan string{r.follow(ctx, 2), r.follow(ctx, 0)}
	wait, cancel := context.WithTimeout(ctx, time.Minute) // a watchdog
	defer cancel()
	if err := r.hub.AwaitSubscribers(wait, topic, 3); err != nil {
		return err
	}

	err := r.publish(ctx)
	r.hub.Close(topic)
	s := <-reacted
	if err = errors.Join(err, s.err); err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "reactor: %d events; %s.backends:\n  %s\n", s.Events, topic, strings.Join(s.Backends, "\n  "))
	for i, f := range followed {
		fmt.Fprintf(r.stdout, "follower %d:\n%s", i+1, <-f)
	}
	return nil
}

// follow runs the reactor's follow command on the topic, for count events
// (0: all); its output, indented, arrives on the channel once it exited.
func (r *router) follow(ctx context.Context, count int) chan string {
	done := make(chan string, 1)
	go func() {
		var out strings.Builder
		err := pluginexec.Exec(ctx, pluginexec.IterateTyped(r.follower, "subscriber"),
			[]string{topic, fmt.Sprintf("--count=%d", count)},
			host.Bind(r.reg), pluginexec.WithStdout(&out))
		text := out.String()
		if err != nil {
			text += err.Error() + "\n"
		}
		done <- "  " + strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n  ") + "\n"
	}()
	return done
}

// publish reads the watcher's stream of the service and publishes each
// event, changing the nodes as it goes; after the fourth event it stops
// reading, which stops the watcher's producer.
func (r *router) publish(ctx context.Context) error {
	var accept receptorapi.AcceptWatch
	if err := r.watcher.GetService(receptorapi.WatcherNamespace, "accept", &accept); err != nil {
		return err
	}
	events, err := accept(ctx, receptorapi.Watch{Service: topic, Dir: r.nodes})
	if err != nil {
		return err
	}
	for ev, err := range events {
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "event %v\n", ev)
		if err := r.hub.Publish(ctx, topic, ev); err != nil {
			return err
		}
		switch ev.Seq {
		case 2:
			err = writeNode(r.nodes, "web3", "10.0.0.3:80")
		case 3:
			err = os.Remove(filepath.Join(r.nodes, "web1"))
		case 4:
			return nil // breaks out: the watcher's producer sees its context end
		}
		if err != nil {
			return err
		}
	}
	return errors.New("the watcher's stream ended early")
}

// writeNode writes a node file atomically, as receptorapi.Watch asks.
func writeNode(dir, node, addr string) error {
	tmp := filepath.Join(dir, "."+node)
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, node))
}
