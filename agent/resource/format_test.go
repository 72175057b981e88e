package resource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputFormat(t *testing.T) {
	for _, tc := range []struct {
		value, problem string
	}{
		{`"json"`, ""}, {`"yaml"`, ""}, {`"toml"`, ""},
		{`"xml"`, `r.toml:5:1: output_format = "xml": want json, yaml, toml`},
	} {
		t.Run(tc.value, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "r.toml")
			body := "[template]\nsrc = \"t\"\ndest = \"/tmp/x\"\nkeys = [\"/a\"]\noutput_format = " + tc.value + "\n"
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			r, probs := Load(p, Options{ConfDir: dir})
			if tc.problem == "" {
				if len(probs) != 0 || r == nil || r.OutputFormat != strings.Trim(tc.value, `"`) {
					t.Fatalf("problems %v, resource %+v", probs, r)
				}
				return
			}
			if r != nil || len(probs) != 1 || !strings.Contains(probs[0].Error(), tc.problem) {
				t.Fatalf("problems %v, want %q", probs, tc.problem)
			}
		})
	}
}
