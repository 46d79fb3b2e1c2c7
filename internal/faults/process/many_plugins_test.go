//go:build linux

package process

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
)

// manyPlugins is how many plugins TestHundredPlugins runs at once.
const manyPlugins = 100

// TestHundredPlugins runs manyPlugins plugins at once on one registry,
// half of them over anonymous pipes, half over named pipes; each makes
// echoGoroutines*echoPerG echo calls with payloads unique to it and to the
// call and checks every reply.
func TestHundredPlugins(t *testing.T) {
	fifoDir := checkLeaks(t)
	plug := testPlugin(t)
	s := newHostState()
	reg := s.registry()
	echo := commandOf(t, plug, "echo")
	rng := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
		for i := 0; i < manyPlugins; i++ {
			if !yield(plug, echo) {
				return
			}
		}
	})
	var n atomic.Int64
	bindEach := pluginexec.WithExecGenerator(func(*pluginexec.Plugin, *pluginexec.Command) pluginexec.ExecOption {
		if n.Add(1)%2 == 0 {
			return host.Bind(reg, host.WithNamedPipes(fifoDir, fifoDir))
		}
		return host.Bind(reg)
	})
	start := time.Now()
	e := startExec(t, rng, pluginexec.WithExecParallelism(manyPlugins), bindEach)
	err := e.wait(t, 150*time.Second)
	took := time.Since(start)
	if err != nil {
		t.Errorf("Exec returned %v", err)
	}
	const perPlugin = echoGoroutines * echoPerG
	lines := strings.Split(strings.TrimSuffix(e.stdout.String(), "\n"), "\n")
	good := 0
	for _, l := range lines {
		if l == fmt.Sprintf("ok %d", perPlugin) {
			good++
		}
	}
	if good != manyPlugins || len(lines) != manyPlugins {
		t.Errorf("%d of %d plugins printed \"ok %d\"; their output:\n%s", good, manyPlugins, perPlugin, e.stdout.String())
	}
	if got := s.echoed.Load(); got != manyPlugins*perPlugin {
		t.Errorf("the host served %d echo calls, want %d", got, manyPlugins*perPlugin)
	}
	total := manyPlugins * perPlugin
	t.Logf("FIGURE hundred-plugins: %d plugins at once x %d calls = %d verified calls in %.2fs wall time, %.0f calls/s (race detector on, host and plugins)",
		manyPlugins, perPlugin, total, took.Seconds(), float64(total)/took.Seconds())
}
