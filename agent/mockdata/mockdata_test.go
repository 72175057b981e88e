package mockdata

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestLoadMockData(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       string // sorted k=v; (empty when err)
		err        string
	}{
		{"json", `{"/a/b": "1", "/a/c": "x y", "/n": 8080}`, "/a/b=1 /a/c=x y /n=8080", ""},
		{"json number kept as written", `{"/f": 1.50, "/big": 12345678901234567890}`, "/big=12345678901234567890 /f=1.50", ""},
		{"yaml", "/a/b: 1\n/a/c: \"x y\"\n/t: true\n", "/a/b=1 /a/c=x y /t=true", ""},
		{"yaml nested", "services:\n  web:\n    10.0.0.1:80: 10.0.0.1:80\n/x: \"\"\n", "/services/web/10.0.0.1:80=10.0.0.1:80 /x=", ""},
		{"README example", "/services/apache/10.0.0.1:8080: 10.0.0.1:8080\nservices:\n  db:\n    port: 5432\n",
			"/services/apache/10.0.0.1:8080=10.0.0.1:8080 /services/db/port=5432", ""},
		{"json value holding json", `{"/j": "{\"a\": [1]}"}`, `/j={"a": [1]}`, ""},
		{"empty", "", "", ""},
		{"null", `{"/a": null}`, "", "/a: value is null"},
		{"list", "/a: [1, 2]\n", "", "/a: value is a list"},
		{"scalar", "just text\n", "", "want a mapping"},
		{"broken yaml", "a: [\n", "", "mock data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "mock")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for k, v := range m {
				got = append(got, k+"="+v)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}
