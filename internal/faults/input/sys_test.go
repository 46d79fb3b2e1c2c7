package input

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// openFDs lists this process's descriptors with what they point to,
// without the one reading the directory.
func openFDs() map[string]string {
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	fds := map[string]string{}
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil {
			fds[e.Name()] = target
		}
	}
	return fds
}

// checkFDs fails t, at cleanup, if descriptors opened during the test are
// still open after a grace of a few seconds. Register it before anything
// whose cleanup closes descriptors.
func checkFDs(t *testing.T) {
	t.Helper()
	before := openFDs()
	t.Cleanup(func() {
		var leaked []string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			leaked = leaked[:0]
			for fd, target := range openFDs() {
				if before[fd] != target {
					leaked = append(leaked, fd+" -> "+target)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaked) > 0 {
			sort.Strings(leaked)
			t.Errorf("%d descriptors leaked: %s", len(leaked), strings.Join(leaked, ", "))
		}
	})
}

// memSampler samples this process's heap in use and resident size until
// stopped, keeping the peaks.
type memSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	peakHeap uint64 // bytes
	peakRSS  int64  // KiB
	samples  int
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func startSampler(every time.Duration) *memSampler {
	s := &memSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) sample() {
	h, rss := heapInuse(), procStatusKiB("VmRSS")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peakHeap = max(s.peakHeap, h)
	s.peakRSS = max(s.peakRSS, rss)
	s.samples++
}

// Stop ends the sampling, after one last sample.
func (s *memSampler) Stop() {
	close(s.stop)
	s.wg.Wait()
	s.sample()
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
