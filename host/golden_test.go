package host_test

import (
	"bufio"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
)

var update = flag.Bool("update", false, "rewrite the < lines of the golden transcripts from what the host writes")

// TestGoldenTranscripts replays each transcript of testdata/golden/host as
// the plugin: it writes the > lines and checks that the host answers with
// exactly the < lines. Directives:
//
//	! unordered N   the next N < lines may come in any order (concurrent calls)
//	! eof           the plugin closes its end of the request pipe
//	! shutdown      the host's context is canceled
//	! end ERR       Serve returns: "nil", or an error containing ERR
func TestGoldenTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/host/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			steps, err := hosttest.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			got := replayHost(t, steps)
			if *update {
				for n, l := range got {
					got[n] = "< " + l
				}
				if err := hosttest.Rewrite(file, got); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// replayHost runs steps against a real host and returns the lines the host
// wrote for each < step, keyed by the step's line number.
func replayHost(t *testing.T, steps []hosttest.Step) map[int]string {
	p := hosttest.NewPipes(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- host.Serve(ctx, hosttest.Registry(), p.HostR, p.HostW, host.WithMaxFrameSize(4096))
	}()
	ended := false
	t.Cleanup(func() {
		if !ended {
			cancel()
			p.PluginW.Close()
			<-served
		}
	})
	lines := make(chan string)
	go func() {
		br := bufio.NewReader(p.PluginR)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- strings.TrimSuffix(l, "\n")
		}
	}()
	next := func(st hosttest.Step) string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("line %d: host closed its stream, want %s", st.Line, st.Text)
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("line %d: no response in 10s, want %s", st.Line, st.Text)
		}
		return ""
	}
	got := map[int]string{}
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		switch st.Kind {
		case ">":
			mustWrite(t, p.PluginW, st.Text+"\n")
		case ">|":
			mustWrite(t, p.PluginW, st.Text)
		case "<":
			l := next(st)
			got[st.Line] = l
			if l != st.Text && !*update {
				t.Errorf("line %d:\n got %s\nwant %s", st.Line, l, st.Text)
			}
		case "!":
			verb, arg, _ := strings.Cut(st.Text, " ")
			switch verb {
			case "unordered":
				n := atoi(t, arg)
				want := map[string]int{}
				for _, s := range steps[i+1 : i+1+n] {
					want[s.Text]++
				}
				for _, s := range steps[i+1 : i+1+n] {
					l := next(s)
					got[s.Line] = l
					if want[l] == 0 && !*update {
						t.Errorf("line %d: unexpected response %s", s.Line, l)
					}
					want[l]--
				}
				i += n
			case "eof":
				p.PluginW.Close()
			case "shutdown":
				cancel()
			case "end":
				var err error
				select {
				case err = <-served:
					ended = true
				case <-time.After(10 * time.Second):
					t.Fatalf("line %d: Serve did not return in 10s", st.Line)
				}
				if arg == "nil" && err != nil || arg != "nil" && (err == nil || !strings.Contains(err.Error(), arg)) {
					t.Errorf("line %d: Serve returned %v, want %s", st.Line, err, arg)
				}
			default:
				t.Fatalf("line %d: unknown directive %q", st.Line, st.Text)
			}
		}
	}
	return got
}

func mustWrite(t *testing.T, f *os.File, s string) {
	t.Helper()
	if _, err := f.WriteString(s); err != nil {
		t.Fatalf("writing to the host: %v", err)
	}
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("bad number %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
