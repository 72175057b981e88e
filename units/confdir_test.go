package units

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"github.com/BurntSushi/toml"
)

func TestConfDirRenders(t *testing.T) {
	files, err := ConfDir(Spec{Service: "web", KeyPrefix: "/lb/web", LBPort: 8080})
	if err != nil {
		t.Fatal(err)
	}
	var r resource
	if _, err := toml.Decode(string(files[0].Data), &r); err != nil {
		t.Fatalf("nginx.toml: %v", err)
	}
	if r.Template.Dest != "/etc/nginx/conf.d/web.conf" || !reflect.DeepEqual(r.Template.Keys, []string{"/lb/web"}) ||
		r.Template.ReloadUnit != "nginx.service" || r.Template.CheckCmd != "/usr/sbin/nginx -t" {
		t.Errorf("resource = %+v", r.Template)
	}
	var pattern string
	tmpl, err := template.New("nginx.tmpl").Funcs(template.FuncMap{"getvs": func(p string) []string {
		pattern = p
		return []string{"10.0.0.1:8080", "10.0.0.2:8081"}
	}}).Parse(string(files[1].Data))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if pattern != "/lb/web/*" {
		t.Errorf("getvs pattern %q", pattern)
	}
	for _, want := range []string{"upstream web_pool {\n    server 10.0.0.1:8080;\n    server 10.0.0.2:8081;\n}",
		"listen 8080;", "proxy_pass http://web_pool;"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered template lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Name: "a.service", Data: []byte("a")}, {Name: "conf.d/b.toml", Data: []byte("b")}}
	if err := WriteFiles(dir, files, false); err != nil {
		t.Fatal(err)
	}
	files[0].Data = []byte("new")
	if err := WriteFiles(dir, files, false); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second write: %v, want fs.ErrExist naming --force", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.service")); string(data) != "a" {
		t.Fatalf("refused write changed a file: %q", data)
	}
	if err := WriteFiles(dir, files, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.service")); string(data) != "new" {
		t.Fatalf("forced write: %q", data)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	if err := WriteFiles(dir, []File{{Name: "../x", Data: nil}}, true); err == nil {
		t.Error("a name outside the directory was accepted")
	}
}

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		`/bin/a b  c`:          {"/bin/a", "b", "c"},
		`a "b c" 'd "e"' f\ g`: {"a", "b c", `d "e"`, "f g"},
		`a "" "x\"y\\z"`:       {"a", "", `x"y\z`},
		`"{port}" x{ip}y`:      {"{port}", "x{ip}y"},
	} {
		got, err := SplitCommand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"open`, `'open`, `trailing\`} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q): want an error", bad)
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	long := strings.Repeat("x", 2100)
	for name, tc := range map[string]struct {
		spec Spec
		want string
	}{
		"newline in health path":    {Spec{HealthPath: "/a\nExecStart=/bin/sh"}, "health-path"},
		"CR in image":               {Spec{BackendImage: "img\r"}, "line break"},
		"NUL in exec":               {Spec{Runtime: RuntimeExec, BackendExec: []string{"/bin/x", "a\x00"}}, "NUL"},
		"relative exec":             {Spec{Runtime: RuntimeExec, BackendExec: []string{"x"}}, "absolute"},
		"exec without command":      {Spec{Runtime: RuntimeExec}, "backend-exec: required"},
		"service with space":        {Spec{Service: "my app"}, "service:"},
		"lb named nginx":            {Spec{LBName: "nginx"}, "clash"},
		"too long a name":           {Spec{Service: strings.Repeat("a", 240)}, "more than 255"},
		"line of 2048 bytes":        {Spec{Runtime: RuntimeExec, BackendExec: []string{"/bin/x", long}}, "2048 bytes or more"},
		"percent in fleet value":    {Spec{Flavor: FlavorFleet, LBConflicts: []string{"a%i*"}}, "lb-conflicts"},
		"fleet option on systemd":   {Spec{GlobalLB: true}, "need flavor"},
		"image looking like a flag": {Spec{BackendImage: "--privileged"}, "backend-image"},
		"bad advertise ip":          {Spec{AdvertiseIP: "10.0.0"}, "advertise-ip"},
		"bad env name":              {Spec{AdvertiseEnv: "A-B"}, "advertise-env"},
		"short ttl":                 {Spec{TTL: 1}, "ttl"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Generate(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestGenerateIPv6(t *testing.T) {
	files, err := Generate(Spec{AdvertiseIP: "fd00::5"})
	if err != nil {
		t.Fatal(err)
	}
	all := string(files[0].Data) + string(files[1].Data)
	for _, want := range []string{"-p [fd00::5]:%i:80", "--key /services/apache/[fd00::5]:%i", "--check-http http://[fd00::5]:%i/"} {
		if !strings.Contains(all, want) {
			t.Errorf("units lack %q", want)
		}
	}
}
