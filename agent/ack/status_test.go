package ack

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update):\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestSummaryGolden(t *testing.T) {
	now := t0.Add(time.Minute)
	entries := []Entry{
		{Key: "/confwatch/acks/lb-a", Lease: 1, Record: Record{Name: "lb-a", At: t0.Add(57 * time.Second), Dirs: map[string]Dir{
			"/services/apache": {Revision: 43, At: t0.Add(57 * time.Second), Result: ResultApplied},
			"/services/web":    {Revision: 40, At: t0, Result: ResultUnchanged},
		}}},
		{Key: "/confwatch/acks/lb-b", Lease: 2, Record: Record{Name: "lb-b", At: t0.Add(50 * time.Second), Dirs: map[string]Dir{
			"/services/apache": {Revision: 41, At: t0.Add(50 * time.Second), Result: ResultFailed, Error: "reload nginx.service: exit status 1\nmore"},
		}}},
		{Key: "/confwatch/acks/lb-c", Lease: 3, Record: Record{Name: "lb-c", At: t0, Dirs: map[string]Dir{}}},
		{Key: "/confwatch/acks/manual", Record: Record{Name: "manual"}},
		{Key: "/confwatch/acks/junk", Record: Record{Name: "junk"}, Err: errors.New("parse announcement: invalid character 'x'")},
	}
	s := Summarize("/confwatch/acks", entries, 45, now)
	var text, js bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.txt", text.Bytes())
	golden(t, "status.json", js.Bytes())
}
