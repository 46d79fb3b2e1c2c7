package service

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// LogHandler returns a slog.Handler that sends records to the host over
// the default connection (see Client.LogHandler). It may be set up before
// the flags are parsed:
//
//	slog.SetDefault(slog.New(service.LogHandler(nil)))
//	service.AddHostFlags(pflag.CommandLine)
//	pflag.Parse()
//	slog.Info("scanning", "files", n)
//	...
//	service.FlushLogs(ctx) // before os.Exit, which would drop what is queued
//
// It connects the default client when it first sends, unless AddHostFlags
// was called: then it waits for the plugin to connect it (by a call, or
// InitServiceClient once the flags are parsed), and the records it sends
// before go to stderr, as JSON lines, which a host with a logger reads as
// records all the same.
func LogHandler(opts *slog.HandlerOptions) slog.Handler {
	return newLogHandler(defaultLogSink(), opts)
}

// LogHandler returns a slog.Handler that sends records to the host, which
// hands them to its logger (host.WithLogger) with their time, level,
// message, attributes and groups, and the plugin's name, command and
// process id. opts works as for slog.NewJSONHandler: Level filters,
// AddSource adds a "source" group, ReplaceAttr rewrites the attributes
// that are not groups (it is not called for the time, level and message,
// which the host's own handler formats).
//
// Handle never waits for the host: it encodes the record and queues it,
// and a goroutine, running while records wait, sends them in batches as
// calls to the host's namespace "hostcall.log" (docs/PROTOCOL.md section
// 6, logs). When the queue is full (8192 records or 4 MiB), records are
// dropped and counted, and the count arrives as a WARN record "log records
// dropped" with the attribute "dropped".
//
// A host without that namespace (a host that was given no logger, a
// protocol 1 host) gets the records as JSON lines on the plugin's stderr,
// as slog.JSONHandler writes them, and so does a plugin that is not hosted;
// a host with a logger turns such lines back into records. A batch whose
// call fails as the connection ends is written on stderr too, marked, so
// that the host, which may have received the call all the same, keeps one
// copy.
//
// Records still queued when the process exits are lost: call FlushLogs
// (or Close) before exiting. The handlers of one client share one queue.
func (c *Client) LogHandler(opts *slog.HandlerOptions) slog.Handler {
	return newLogHandler(c.logSink(), opts)
}

// FlushLogs waits until the records given to the client's log handlers
// have been sent (or written on stderr), or ctx ends.
func (c *Client) FlushLogs(ctx context.Context) error {
	c.logsMu.Lock()
	s := c.logs
	c.logsMu.Unlock()
	if s == nil {
		return nil
	}
	return s.flush(ctx)
}

// FlushLogs waits until the records given to the handlers of LogHandler,
// and those of the default client's Client.LogHandler, have been sent, or
// ctx ends. A plugin calls it before it exits.
func FlushLogs(ctx context.Context) error {
	std.mu.Lock()
	s, c := std.logs, std.client
	std.mu.Unlock()
	var errs []error
	if s != nil {
		errs = append(errs, s.flush(ctx))
	}
	if c != nil {
		errs = append(errs, c.FlushLogs(ctx))
	}
	return errors.Join(errs...)
}

// logSink returns the sink of the client's log handlers, making it once.
func (c *Client) logSink() *logSink {
	c.logsMu.Lock()
	defer c.logsMu.Unlock()
	if c.logs == nil {
		c.logs = newLogSink(func() *Client { return c })
	}
	return c.logs
}

// defaultLogSink returns the sink of the package-level LogHandler, bound
// to the default client when it sends.
func defaultLogSink() *logSink {
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.logs == nil {
		std.logs = newLogSink(readyDefault)
	}
	return std.logs
}

// readyDefault returns the default client, connecting it first unless
// AddHostFlags was called: then the flags may not be parsed yet, and
// connecting would find no URL and leave the plugin unhosted for good, so
// it returns the default client once something else has connected it, and
// nil before.
func readyDefault() *Client {
	std.mu.Lock()
	c, wait := std.client, std.flagsAdded
	std.mu.Unlock()
	if c != nil || wait {
		return c
	}
	return Default()
}

// closeWait bounds how long Close waits for queued records to reach the
// host before it closes the connection; what is left then goes to stderr.
const closeWait = time.Second

// closeLogs sends the records queued, within closeWait or until the
// connection ends, before Close closes the connection. It returns a
// function that waits for the rest to be written on stderr.
func (c *Client) closeLogs() (wait func()) {
	c.logsMu.Lock()
	s := c.logs
	c.logsMu.Unlock()
	if s == nil {
		return func() {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	go func() {
		select {
		case <-c.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	s.flush(ctx)
	return func() { s.flush(context.Background()) }
}
