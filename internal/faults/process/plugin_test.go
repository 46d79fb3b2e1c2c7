//go:build linux

package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hostcall/hostcall/opener"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// pluginMain is the test binary run as a plugin: "info" prints the
// manifest, the first argument otherwise names the behaviour.
func pluginMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, manifest); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "plugin: no command")
		return 2
	}
	if args[0] == "stall" {
		return stallPlugin(args[1:]) // speaks the protocol itself
	}
	if err := service.InitServiceClient(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	switch args[0] {
	case "hold":
		return holdPlugin()
	case "bystander":
		return bystanderPlugin()
	case "echo":
		return echoPlugin()
	case "pending":
		return pendingPlugin()
	case "mixed":
		return mixedPlugin()
	case "saturate":
		return saturatePlugin()
	}
	fmt.Fprintf(os.Stderr, "plugin: unknown command %q\n", args[0])
	return 2
}

// getService binds a consumer func or exits: a test plugin with a wrong
// signature is a bug of the test.
func getService(name string, fn any) {
	if err := service.GetService("faults", name, fn); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		os.Exit(2)
	}
}

// callCount is $HOSTCALL_FAULTS_CALLS, or holdCalls.
func callCount() int {
	if n, err := strconv.Atoi(os.Getenv(callsEnv)); err == nil && n > 0 {
		return n
	}
	return holdCalls
}

// holdPlugin says its pid, then keeps callCount() calls in flight until
// the test kills it.
func holdPlugin() int {
	var hello func(int) error
	var hold func() error
	getService("hello", &hello)
	getService("hold", &hold)
	if err := hello(os.Getpid()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin: hello:", err)
		return 1
	}
	var wg sync.WaitGroup
	for i := 0; i < callCount(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := hold()
			fmt.Fprintln(os.Stderr, "plugin: hold returned, which it must not:", err)
		}()
	}
	wg.Wait()
	return 1
}

// saturatePlugin says its pid, makes callCount() calls to faults.hold,
// more than the host's in-flight bound, and cancels them all on SIGUSR1.
// It then stays connected, so that the host can only learn of the
// cancellation from the cancel frames.
func saturatePlugin() int {
	var hello func(int) error
	var hold func(context.Context) error
	getService("hello", &hello)
	getService("hold", &hold)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	if err := hello(os.Getpid()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin: hello:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < callCount(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hold(ctx); !errors.Is(err, context.Canceled) {
				fmt.Fprintln(os.Stderr, "plugin: hold:", err)
			}
		}()
	}
	<-usr1
	cancel()
	wg.Wait()
	time.Sleep(time.Minute) // the test ends the run
	return 0
}

// bystanderPlugin waits at the host's gate, then makes verified echo calls
// until the host says stop, and prints "ok N".
func bystanderPlugin() int {
	var gate func() error
	var more func() (bool, error)
	var echo func(string) (string, error)
	getService("gate", &gate)
	getService("more", &more)
	getService("echo", &echo)
	if err := gate(); err != nil {
		fmt.Fprintln(os.Stderr, "plugin: gate:", err)
		return 1
	}
	n := 0
	for {
		ok, err := more()
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin: more:", err)
			return 1
		}
		if !ok {
			break
		}
		for j := 0; j < 10; j++ {
			p := fmt.Sprintf("bystander %d call %d", os.Getpid(), n)
			got, err := echo(p)
			if err != nil || got != p {
				fmt.Fprintf(os.Stderr, "plugin: echo(%q) = %q, %v\n", p, got, err)
				return 1
			}
			n++
		}
	}
	fmt.Printf("ok %d\n", n)
	return 0
}

// Shape of the echo plugin's load.
const (
	echoGoroutines = 4
	echoPerG       = 250
)

// echoPlugin makes echoGoroutines*echoPerG echo calls with payloads unique
// to this process and call, checks every reply, and prints "ok N", N the
// number of correct replies.
func echoPlugin() int {
	var echo func(string) (string, error)
	getService("echo", &echo)
	pid := os.Getpid()
	var mu sync.Mutex
	good := 0
	var wg sync.WaitGroup
	for g := 0; g < echoGoroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for i := 0; i < echoPerG; i++ {
				// Quotes, a newline, a tab and non-ASCII text exercise the
				// JSON escaping; the length varies from call to call.
				p := fmt.Sprintf("pid %d goroutine %d call %d \"q\"\n\t\u00e9\u4e16 %s", pid, g, i, strings.Repeat("x", (i*37+g)%500))
				got, err := echo(p)
				if err != nil || got != p {
					fmt.Fprintf(os.Stderr, "plugin: echo call %d/%d: got %.40q, %v\n", g, i, got, err)
					continue
				}
				n++
			}
			mu.Lock()
			good += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("ok %d\n", good)
	return 0
}

// pendingResult is what the pending plugin writes once its calls failed.
type pendingResult struct {
	Calls     int      `json:"calls"`
	Closed    int      `json:"closed"` // errors matching service.ErrClosed
	Others    []string `json:"others"` // a few of the other errors
	FirstFail int64    `json:"firstFail"`
	LastFail  int64    `json:"lastFail"` // Unix nanoseconds
}

// pendingPlugin writes its pid to $HOSTCALL_FAULTS_DIR/plugin.pid and keeps
// holdCalls calls in flight. The test kills the host: when the calls have
// all failed, the plugin writes result.json and exits, or, with
// HOSTCALL_FAULTS_STAY=1, waits to be killed. It never writes to stdout or
// stderr after the calls have failed: the host that read them is gone.
func pendingPlugin() int {
	dir := os.Getenv(dirEnv)
	if err := writeFileAtomic(filepath.Join(dir, "plugin.pid"), []byte(strconv.Itoa(os.Getpid()))); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	var hold func() error
	getService("hold", &hold)
	type outcome struct {
		at  int64
		err error
	}
	out := make([]outcome, holdCalls)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := hold()
			out[i] = outcome{time.Now().UnixNano(), err}
		}()
	}
	wg.Wait()
	res := pendingResult{Calls: len(out)}
	for _, o := range out {
		if res.FirstFail == 0 || o.at < res.FirstFail {
			res.FirstFail = o.at
		}
		res.LastFail = max(res.LastFail, o.at)
		switch {
		case errors.Is(o.err, service.ErrClosed):
			res.Closed++
		case len(res.Others) < 5:
			res.Others = append(res.Others, fmt.Sprint(o.err))
		}
	}
	b, _ := json.Marshal(res)
	if err := writeFileAtomic(filepath.Join(dir, "result.json"), b); err != nil {
		return 1
	}
	if os.Getenv(stayEnv) == "1" {
		time.Sleep(time.Hour) // a sleeping goroutine: never "all goroutines are asleep"
	}
	return 0
}

// writeFileAtomic writes b to path so that a reader sees all of it or
// nothing.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// stallPlugin opens its host URLs itself and writes calls to faults.big
// as fast as the host takes them, never reading a response, until it is
// killed.
func stallPlugin(args []string) int {
	urls := hostFileURLs(args)
	if len(urls) != 2 {
		fmt.Fprintf(os.Stderr, "plugin: want two --host-file URLs, got %q\n", urls)
		return 2
	}
	in, err := opener.Open(urls[0], os.O_RDONLY)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	defer in.Close() // open, never read
	out, err := opener.Open(urls[1], os.O_WRONLY)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	var buf []byte
	for seq := uint64(1); ; seq += 8 {
		buf = buf[:0]
		for i := uint64(0); i < 8; i++ {
			buf = fmt.Appendf(buf, "{\"sequence\":%d,\"type\":\"call\",\"namespace\":\"faults\",\"name\":\"big\",\"args\":[]}\n", seq+i)
		}
		if _, err := out.Write(buf); err != nil {
			fmt.Fprintln(os.Stderr, "plugin: writing calls:", err)
			return 1
		}
	}
}

// hostFileURLs returns the values of the --host-file flags in args.
func hostFileURLs(args []string) []string {
	var urls []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--host-file" && i+1 < len(args) {
			urls = append(urls, args[i+1])
			i++
		} else if v, ok := strings.CutPrefix(args[i], "--host-file="); ok {
			urls = append(urls, v)
		}
	}
	return urls
}

// Shape of the mixed plugin's load.
const (
	mixedGoroutines = 8
	mixedPerG       = 375 // 3000 calls
	mixedStuckEvery = 30  // one call in 30 is stuck: 100 calls
	stuckDeadline   = 50 * time.Millisecond
)

// mixedResult is the mixed plugin's report, one JSON line on stdout.
type mixedResult struct {
	Panics      int      `json:"panics"`      // boom calls that failed with ErrServicePanic
	Deadlines   int      `json:"deadlines"`   // stuck calls that failed with their deadline
	Sums        int      `json:"sums"`        // add calls with the right sum
	Bad         []string `json:"bad"`         // a few of the calls that did not
	BadCount    int      `json:"badCount"`    // how many did not
	MaxOvershot int64    `json:"maxOvershot"` // nanoseconds past the deadline, the worst stuck call
	ExitAt      int64    `json:"exitAt"`      // Unix nanoseconds, just before exiting
}

// mixedPlugin hammers the host with calls to a panicking service, calls
// with a deadline to a service that blocks forever, and calls to add, and
// checks every outcome.
func mixedPlugin() int {
	var boom func() error
	var stuck func(context.Context) (int, error)
	var add func(a, b int) (int, error)
	getService("boom", &boom)
	getService("stuck", &stuck)
	getService("add", &add)
	var mu sync.Mutex
	var res mixedResult
	bad := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		res.BadCount++
		if len(res.Bad) < 5 {
			res.Bad = append(res.Bad, fmt.Sprintf(format, a...))
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < mixedGoroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < mixedPerG; i++ {
				switch k := g*mixedPerG + i; {
				case k%3 == 0:
					err := boom()
					if !errors.Is(err, service.ErrServicePanic) {
						bad("boom: %v, want an error matching ErrServicePanic", err)
						continue
					}
					mu.Lock()
					res.Panics++
					mu.Unlock()
				case k%mixedStuckEvery == 1:
					ctx, cancel := context.WithTimeout(context.Background(), stuckDeadline)
					start := time.Now()
					_, err := stuck(ctx)
					over := time.Since(start) - stuckDeadline
					cancel()
					if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, service.ErrDeadlineExceeded) {
						bad("stuck: %v, want an error matching context.DeadlineExceeded and ErrDeadlineExceeded", err)
						continue
					}
					mu.Lock()
					res.Deadlines++
					res.MaxOvershot = max(res.MaxOvershot, int64(over))
					mu.Unlock()
				default:
					n, err := add(g, i)
					if err != nil || n != g+i {
						bad("add(%d, %d) = %d, %v", g, i, n, err)
						continue
					}
					mu.Lock()
					res.Sums++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	res.ExitAt = time.Now().UnixNano()
	b, _ := json.Marshal(res)
	fmt.Printf("%s\n", b)
	return 0
}
