package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// corpusDir holds cases recorded by running real confd (see its README.md):
// adding a case is adding a folder.
var corpusDir = filepath.Join("testdata", "confd-corpus")

// corpusAdjust are resource settings a case needs because confwatch's
// default differs from confd's on purpose (README, "What differs, on
// purpose"); with them the output must be confd's, byte for byte.
var corpusAdjust = map[string]string{
	// An empty directory is refused by default (allow_empty = false).
	"empty-dir": "allow_empty = true\n",
}

// corpusDiffers names cases whose outcome differs from confd's on purpose,
// with the reason; the README lists each. They are run, and must not match
// confd, so that the entry is removed when the difference goes away.
var corpusDiffers = map[string]string{}

// corpusResult is a case's result.json: what confd did.
type corpusResult struct {
	Exit    int               `json:"exit"`
	Written []string          `json:"written"`
	Modes   map[string]string `json:"modes"`
}

// TestConfdCorpus replays every recorded confd case through confd's own
// command line against an embedded etcd holding exactly the case's keys, and
// expects confd's files: same names, bytes and modes, or nothing written
// when confd refused (the exit code may differ then).
func TestConfdCorpus(t *testing.T) {
	cases, err := os.ReadDir(corpusDir)
	must(t, err)
	srv := testetcd.Start(t)
	n := 0
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		n++
		name := c.Name()
		t.Run(name, func(t *testing.T) {
			mismatch := replayCase(t, srv, filepath.Join(corpusDir, name))
			reason, differs := corpusDiffers[name]
			switch {
			case differs && mismatch == "":
				t.Errorf("matches confd now: remove it from corpusDiffers and the README (%s)", reason)
			case differs:
				t.Logf("differs from confd on purpose (%s):\n%s", reason, mismatch)
			case mismatch != "":
				t.Error(mismatch)
			}
		})
	}
	if n == 0 {
		t.Fatalf("no cases in %s", corpusDir)
	}
	for name := range corpusDiffers {
		if _, err := os.Stat(filepath.Join(corpusDir, name)); err != nil {
			t.Errorf("corpusDiffers names %s, which is not a case", name)
		}
	}
}

// replayCase runs one case and describes how the outcome differs from
// confd's ("" when it does not).
func replayCase(t *testing.T, srv *testetcd.Server, dir string) string {
	var res corpusResult
	readJSON(t, filepath.Join(dir, "result.json"), &res)
	setCorpusKeys(t, srv, filepath.Join(dir, "keys.json"))
	env := map[string]string{}
	readJSON(t, filepath.Join(dir, "env.json"), &env)
	for k, v := range env {
		t.Setenv(k, v)
	}
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	confdir := filepath.Join(tmp, "confdir")
	must(t, os.MkdirAll(out, 0o755))
	copyConfdir(t, filepath.Join(dir, "confdir"), confdir, out, corpusAdjust[filepath.Base(dir)])
	empty := filepath.Join(tmp, "confwatch.toml")
	must(t, os.WriteFile(empty, nil, 0o644))
	// Keep the host's configuration and state out of it, without adding
	// flags to confd's command line.
	t.Setenv("CONFWATCH_CONFIG", empty)
	t.Setenv("CONFWATCH_STATE_DIR", filepath.Join(tmp, "state"))

	code, stdout, stderr := cw(t, "-onetime", "-backend", "etcdv3", "-node", srv.Endpoint,
		"-confdir", confdir, "-log-level", "error")
	var diffs []string
	if (code == 0) != (res.Exit == 0) {
		diffs = append(diffs, fmt.Sprintf("exit %d, confd's %d", code, res.Exit))
	}
	diffs = append(diffs, compareOut(t, out, filepath.Join(dir, "expected"), res)...)
	if len(diffs) == 0 {
		return ""
	}
	return strings.Join(diffs, "\n") + fmt.Sprintf("\nconfwatch exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
}

// compareOut compares the files written into out with confd's.
func compareOut(t *testing.T, out, expected string, res corpusResult) []string {
	var diffs []string
	got := listFiles(t, out)
	want := append([]string(nil), res.Written...)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		diffs = append(diffs, fmt.Sprintf("wrote %q, confd wrote %q", got, want))
	}
	for _, f := range want {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			continue
		}
		exp, err := os.ReadFile(filepath.Join(expected, f))
		must(t, err)
		if string(b) != string(exp) {
			diffs = append(diffs, fmt.Sprintf("%s differs:\n got: %q\nwant: %q", f, b, exp))
		}
		fi, err := os.Stat(filepath.Join(out, f))
		must(t, err)
		if m := fmt.Sprintf("%04o", fi.Mode().Perm()); m != res.Modes[f] {
			diffs = append(diffs, fmt.Sprintf("%s has mode %s, confd's %s", f, m, res.Modes[f]))
		}
	}
	return diffs
}

// setCorpusKeys makes etcd hold exactly the pairs of keys.json.
func setCorpusKeys(t *testing.T, srv *testetcd.Server, file string) {
	var pairs [][2]string
	readJSON(t, file, &pairs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := srv.Client.Delete(ctx, "\x00", clientv3.WithFromKey())
	must(t, err)
	for _, p := range pairs {
		_, err := srv.Client.Put(ctx, p[0], p[1])
		must(t, err)
	}
}

// copyConfdir copies a case's confd tree, replacing @OUT@ in resources with
// out and appending extra to each resource.
func copyConfdir(t *testing.T, src, dst, out, extra string) {
	must(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(filepath.Dir(p)) == "conf.d" {
			b = []byte(strings.ReplaceAll(string(b), "@OUT@", out) + extra)
		}
		return os.WriteFile(target, b, 0o644)
	}))
}

func listFiles(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	must(t, err)
	out := []string{}
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func readJSON(t *testing.T, file string, v any) {
	b, err := os.ReadFile(file)
	must(t, err)
	must(t, json.Unmarshal(b, v))
}
