package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// RestartPolicy says how Start's supervisor restarts a plugin that exits
// without being asked to (WithRestart). The zero value of a field means
// its default.
type RestartPolicy struct {
	// Initial is the wait before the first restart (default 100ms).
	Initial time.Duration
	// Max caps the wait between restarts (default 30s).
	Max time.Duration
	// Factor multiplies the wait after each restart within Window
	// (default 2): the n-th restart in a row waits Initial*Factor^(n-1).
	Factor float64
	// MaxRestarts is how many restarts Window may hold (default 5); one
	// more exit within Window ends the supervision with ErrRestartLimit. A
	// negative value means no limit.
	MaxRestarts int
	// Window is the span over which restarts are counted (default one
	// minute): a plugin that has run longer than Window since its last
	// restart starts over at Initial.
	Window time.Duration
	// OnRestart, when set, is told of each restart: once the new run
	// serves, or when it failed to start (Err set; another attempt
	// follows, within the limit). Its calls run one after the other, in
	// order, on a goroutine of their own: it may call the Running's
	// methods, Stop and Wait included, and its last call may still run
	// after Stop or Wait has returned.
	OnRestart func(RestartEvent)
	// StartTimeout bounds how long a restarted run may take to serve
	// (default one minute); past it the run is ended and counts as a
	// failed start.
	StartTimeout time.Duration
}

// RestartEvent tells of one restart of a supervised plugin.
type RestartEvent struct {
	Plugin  string        // the plugin's path and command
	Restart int           // how many restarts so far, this one included
	Exit    error         // how the run before it ended
	Delay   time.Duration // the backoff waited before starting again
	Err     error         // nil when the new run serves; else why it failed to start
}

// ErrRestartLimit ends the supervision of a plugin that exited more often
// than its RestartPolicy allows: Wait and Stop return an error matching
// it, which also says how the last run ended.
var ErrRestartLimit = errors.New("restart limit reached")

// WithRestart makes Start supervise the plugin: when it exits without
// being stopped (a crash, a signal, any exit status), the supervisor waits
// with exponential backoff, starts the command again, binds the registry
// to the new process with the same options, and tells OnRestart; the
// Running's funcs from GetService call the new process from then on. A
// plugin stopped by Stop, by the end of Start's ctx, or that sent a leave
// notice is not restarted. Each restart, failed start and the end of the
// supervision is also logged to WithLogger's logger, when there is one.
// Bind ignores it.
func WithRestart(p RestartPolicy) BindOption {
	return func(cfg *bindConfig) { cfg.restart = &p }
}

// withDefaults returns a copy of p with its defaults filled in; nil for
// no policy.
func (p *RestartPolicy) withDefaults() *RestartPolicy {
	if p == nil {
		return nil
	}
	q := *p
	if q.Initial <= 0 {
		q.Initial = 100 * time.Millisecond
	}
	if q.Max <= 0 {
		q.Max = 30 * time.Second
	}
	if q.Max < q.Initial {
		q.Max = q.Initial
	}
	if q.Factor < 1 {
		q.Factor = 2
	}
	if q.MaxRestarts == 0 {
		q.MaxRestarts = 5
	}
	if q.Window <= 0 {
		q.Window = time.Minute
	}
	if q.StartTimeout <= 0 {
		q.StartTimeout = time.Minute
	}
	return &q
}

// delay is the wait before a restart that follows n restarts within the
// window.
func (p *RestartPolicy) delay(n int) time.Duration {
	d := float64(p.Initial) * math.Pow(p.Factor, float64(n))
	if d >= float64(p.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return p.Max
	}
	return time.Duration(d)
}

// supervise waits for each run to end and, under a policy, starts the
// next; it closes done once no run will follow.
func (r *Running) supervise() {
	defer close(r.done)
	defer r.superEnd()
	inc := r.current()
	var recent []time.Time // restarts within the window
	notified := make(chan struct{})
	close(notified) // the previous OnRestart call has returned
	for {
		<-inc.done
		if r.policy == nil || r.ended() {
			r.err = inc.err
			return
		}
		now := time.Now()
		for len(recent) > 0 && now.Sub(recent[0]) > r.policy.Window {
			recent = recent[1:]
		}
		if r.policy.MaxRestarts >= 0 && len(recent) >= r.policy.MaxRestarts {
			r.err = fmt.Errorf("host: %s: %w (%d restarts within %v); its last run: %w",
				r.name, ErrRestartLimit, len(recent), r.policy.Window, orExit(inc.err))
			r.log(slog.LevelError, "plugin not restarted: restart limit reached", "restarts", len(recent), "window", r.policy.Window, "exit", orExit(inc.err))
			return
		}
		delay := r.policy.delay(len(recent))
		recent = append(recent, now)
		r.mu.Lock()
		r.restarts++
		ev := RestartEvent{Plugin: r.name, Restart: r.restarts, Exit: orExit(inc.err), Delay: delay}
		r.mu.Unlock()
		if !r.sleep(delay) {
			r.err = inc.err
			return
		}
		sctx, scancel := context.WithTimeout(r.superCtx, r.policy.StartTimeout)
		next, err := r.launch(sctx)
		scancel()
		if err != nil {
			if r.ended() {
				r.err = inc.err
				return
			}
			ev.Err = err
			r.log(slog.LevelError, "plugin restart failed", "restart", ev.Restart, "exit", ev.Exit, "delay", delay, "err", err)
			notified = r.notify(ev, notified)
			inc = &incarnation{name: r.name, client: inc.client, end: func() {}, done: inc.done, err: err}
			continue
		}
		r.mu.Lock()
		if isClosed(r.stop) { // Stop saw the run before this one: it closed stop before it took mu
			r.mu.Unlock()
			next.stop(r.ctx)
			r.err = next.err
			return
		}
		r.cur = next
		r.mu.Unlock()
		r.log(slog.LevelWarn, "plugin restarted", "restart", ev.Restart, "exit", ev.Exit, "delay", delay)
		notified = r.notify(ev, notified)
		inc = next
	}
}

// log tells WithLogger's logger, if any, about the supervision.
func (r *Running) log(level slog.Level, msg string, args ...any) {
	if r.logger != nil {
		r.logger.Log(context.Background(), level, msg, append([]any{"plugin", r.name}, args...)...)
	}
}

// ended reports whether no restart may follow: Stop was called, the
// plugin left, or Start's ctx ended.
func (r *Running) ended() bool {
	select {
	case <-r.stop:
		return true
	case <-r.left:
		return true
	default:
		return r.ctx.Err() != nil
	}
}

// sleep waits d, and reports false when the supervision ended first.
func (r *Running) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return !r.ended()
	case <-r.stop:
	case <-r.left:
	case <-r.ctx.Done():
	}
	return false
}

// notify hands ev to OnRestart on a goroutine of its own, after the call
// before it (prev) has returned. It returns what the next call waits for.
func (r *Running) notify(ev RestartEvent, prev <-chan struct{}) chan struct{} {
	done := make(chan struct{})
	if r.policy.OnRestart == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		<-prev
		r.policy.OnRestart(ev)
	}()
	return done
}
