package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestFirstAnswerTable(t *testing.T) {
	out := []byte("=== RUN   TestFirstAnswerUnderSystemd/backends=10\n" +
		"    firstanswer_test.go:163: bench: backends=10 changes=5 first_p50_ms=36.4 first_p95_ms=46.8 applies=5 " +
		"check_p50_ms=7.9 check_p95_ms=10.8 reload_p50_ms=21.4 reload_p95_ms=28.4\n--- PASS\n")
	r := &report{firstAnswer: parseHold(out)}
	var b strings.Builder
	r.firstAnswerTable(func(format string, a ...any) { b.WriteString(fmt.Sprintf(format, a...) + "\n") })
	got := b.String()
	for _, want := range []string{"## 6b. The same through systemd", "| 10 | 5 | 36.4 / 46.8 | 7.9 / 10.8 | 21.4 / 28.4 | 5 |"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	var empty strings.Builder
	(&report{}).firstAnswerTable(func(format string, a ...any) { empty.WriteString(format) })
	if empty.Len() != 0 {
		t.Errorf("no figures, but a section: %q", empty.String())
	}
}
