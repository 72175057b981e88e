package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// secretValue is an etcd value that must not reach the log above debug
// level: letters only, so no parser stops quoting it part way.
const secretValue = "hunterSECRETvalue"

type valueCase struct{ tmpl, extra string }

// failingRenderLog runs the agent at info level over resources that each
// fail to render because of secretValue, waits until all are failing, and
// returns its log.
func failingRenderLog(t *testing.T, cases map[string]valueCase) string {
	t.Helper()
	srv := testetcd.Start(t)
	srv.Put(t, "/app/v", secretValue)
	srv.Put(t, "/app/j", "{\"a\": "+secretValue+"}")
	d := newConfd(t)
	for name, c := range cases {
		must(t, os.WriteFile(filepath.Join(d.dir, "templates", name+".tmpl"), []byte(c.tmpl), 0o644))
		d.resource(t, name, fmt.Sprintf("src = %q\ndest = %q\nkeys = [\"/app\"]\n%s",
			name+".tmpl", filepath.Join(d.out, name), c.extra))
	}
	ch := listenNotify(t)
	agent := startAgent(d.args(srv.Endpoint, "--log-level", "info")...)
	expect(t, ch, "every resource failing in STATUS", has(fmt.Sprintf("%d failing", len(cases))))
	agent.cancel()
	code, errb := agent.wait(t)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	for name := range cases {
		if !strings.Contains(errb, "resource="+name) {
			t.Errorf("the log does not name the failing resource %s", name)
		}
	}
	return errb
}

func noValueLogged(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, secretValue) || strings.Contains(line, secretValue[:6]) {
			t.Errorf("an etcd value (or its start) logged at info level:\n%s", line)
		}
	}
}

// TestEtcdValuesNotLoggedAboveDebug: README, Logs: "confwatch logs etcd
// values only at debug level" (the one exception named is a failing check's
// output). Hostile renders that fail because of a value: atoi of it, json
// of it, a value that breaks output_format json or yaml. The agent's log at
// info level names each failing resource and quotes no value.
func TestEtcdValuesNotLoggedAboveDebug(t *testing.T) {
	noValueLogged(t, failingRenderLog(t, map[string]valueCase{
		"atoi":    {`{{ atoi (getv "/app/v") }}`, ""},
		"json":    {`{{ $x := json (getv "/app/j") }}{{ $x.a }}`, ""},
		"yaml":    {"a: b\n{{ getv \"/app/v\" }}: [\n", `output_format = "yaml"` + "\n"},
		"jsonout": {`{"a": {{ getv "/app/v" }}}`, `output_format = "json"` + "\n"},
	}))
}

// TestTOMLOutputErrorQuotesNoValue: the same claim for output_format = "toml":
// a bare value where TOML wants a value.
func TestTOMLOutputErrorQuotesNoValue(t *testing.T) {
	noValueLogged(t, failingRenderLog(t, map[string]valueCase{
		"toml": {`key = {{ getv "/app/v" }}` + "\n", `output_format = "toml"` + "\n"},
	}))
}
