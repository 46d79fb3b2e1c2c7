package pluginexec

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestManifestJSONNames(t *testing.T) {
	m := Manifest{
		ManifestVersion: 1, Name: "secrets", Version: "1.0.0", Author: "a",
		Description: "d", Tags: []string{"scan"},
		Commands: []Command{{Path: []string{"scan", "dir"}, Type: "scanner", Data: json.RawMessage(`{"k":1}`)}},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"manifestVersion":1,"name":"secrets","version":"1.0.0","author":"a","description":"d",` +
		`"tags":["scan"],"commands":[{"path":["scan","dir"],"type":"scanner","data":{"k":1}}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	got, err := decodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeManifestRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      []string // substrings of the error
	}{
		{"empty", " \n", []string{"nothing on stdout"}},
		{"not json", "hello\n", []string{"not a JSON object", `"hello"`}},
		{"array", `[{"manifestVersion":1}]`, []string{"not a JSON object"}},
		{"broken", `{"manifestVersion":1,`, []string{"not a JSON object"}},
		{"trailing", `{"manifestVersion":1,"commands":[]} {}`, []string{"continues after"}},
		{"version", `{"manifestVersion":2,"commands":[]}`, []string{"version 2", "version 1"}},
		{"no version", `{"name":"x"}`, []string{"version 0", "version 1"}},
		{"empty path", `{"manifestVersion":1,"commands":[{"path":[],"type":"t"}]}`, []string{"command 0", "empty path"}},
		{"empty word", `{"manifestVersion":1,"commands":[{"path":["a",""]}]}`, []string{"empty word"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeManifest([]byte(tc.out))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestVersionErrorIs(t *testing.T) {
	_, err := decodeManifest([]byte(`{"manifestVersion":7}`))
	if !errors.Is(err, ErrManifestVersion) {
		t.Errorf("error %v is not ErrManifestVersion", err)
	}
}

func TestWriteInfo(t *testing.T) {
	var b bytes.Buffer
	m := Manifest{Name: "x", Commands: []Command{{Path: []string{"run"}, Type: "t"}}}
	if err := WriteInfo(&b, m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "}\n") || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("not one JSON line: %q", b.String())
	}
	got, err := decodeManifest(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.ManifestVersion != CurrentManifestVersion || got.Name != "x" {
		t.Errorf("got %+v", got)
	}
	if err := WriteInfo(&b, Manifest{Commands: []Command{{}}}); err == nil {
		t.Error("WriteInfo accepted a command without a path")
	}
}

func TestHandleInfo(t *testing.T) {
	m := Manifest{Name: "x"}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"scan"}, false},
		{[]string{"info"}, true},
		{[]string{"information"}, false},
	} {
		var b bytes.Buffer
		handled, err := HandleInfo(&b, tc.args, m)
		if err != nil {
			t.Fatal(err)
		}
		if handled != tc.want || (b.Len() > 0) != tc.want {
			t.Errorf("HandleInfo(%q) = %v, wrote %q", tc.args, handled, b.String())
		}
	}
}
