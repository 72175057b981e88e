package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/resource"
)

// TestCLIReferenceIsCurrent keeps docs/cli.md equal to what the code
// generates (`go test -run CLIReference -update` rewrites it).
func TestCLIReferenceIsCurrent(t *testing.T) {
	code, out, errs := cw(t, "docs", "--format", "markdown")
	if code != 0 {
		t.Fatalf("docs: %d %s", code, errs)
	}
	p := "../../docs/cli.md"
	if *update {
		must(t, os.WriteFile(p, []byte(out), 0o644))
	}
	want, err := os.ReadFile(p)
	must(t, err)
	if string(want) != out {
		t.Fatal("docs/cli.md is out of date: run go test ./cmd/confwatch -run CLIReference -update")
	}
}

// TestREADMEDocumentsEveryKey fails when a configuration or resource key has
// no entry in the README.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	must(t, err)
	readme := string(b)
	for _, typ := range []reflect.Type{reflect.TypeOf(config.Config{}), reflect.TypeOf(config.Etcd{}), reflect.TypeOf(resource.Spec{})} {
		for i := 0; i < typ.NumField(); i++ {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("toml"), ",")
			if key == "" || key == "-" || key == "etcd" {
				continue
			}
			if !strings.Contains(readme, "`"+key+"`") && !strings.Contains(readme, key+"`") && !strings.Contains(readme, " "+key+",") {
				t.Errorf("README does not document key %q (%s)", key, typ.Name())
			}
		}
	}
}
