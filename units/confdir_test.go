package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/render"
	"github.com/confwatch/confwatch/internal/testnginx"
)

// nginxCheck runs `nginx -t` on a full configuration whose http block
// includes conf, as Debian's nginx.conf includes conf.d/*.conf.
func nginxCheck(t *testing.T, nginx, conf string) error {
	t.Helper()
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	full := fmt.Sprintf("pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n    access_log off;\n    include %s;\n}\n", dir, conf)
	if err := os.WriteFile(main, []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-e", "stderr", "-c", main).CombinedOutput()
	if err != nil {
		return fmt.Errorf("nginx -t: %v\n%s", err, out)
	}
	return nil
}

// TestConfDirRenders renders the generated template with confwatch's own
// template engine, with and without backends, and checks the result with
// the real `nginx -t`: zero backends give no upstream block (nginx refuses
// an empty one) and a 503; backends give the upstream.
func TestConfDirRenders(t *testing.T) {
	nginx := testnginx.Bin(t)
	files, err := ConfDir(Spec{Service: "web", KeyPrefix: "/lb/web", LBPort: 8080, MaxShrink: ptr(75)})
	if err != nil {
		t.Fatal(err)
	}
	if files[0].Name != "conf.d/web.toml" || files[1].Name != "templates/web.tmpl" {
		t.Fatalf("files %q, %q; want conf.d/web.toml, templates/web.tmpl", files[0].Name, files[1].Name)
	}
	var r resource
	if _, err := toml.Decode(string(files[0].Data), &r); err != nil {
		t.Fatalf("web.toml: %v", err)
	}
	want := resource{}
	want.Template.Src, want.Template.Dest, want.Template.Keys = "web.tmpl", "/etc/nginx/conf.d/web.conf", []string{"/lb/web"}
	want.Template.Mode, want.Template.CheckCmd, want.Template.ReloadUnit = "0644", "/usr/sbin/nginx -t", "nginx.service"
	want.Template.AllowEmpty, want.Template.MaxShrink = true, "75%"
	if !reflect.DeepEqual(r, want) {
		t.Errorf("resource = %+v\nwant       %+v", r.Template, want.Template)
	}
	tmpl, err := render.Parse("web.tmpl", files[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		backends map[string]string
		want     []string
		not      []string
	}{
		{"no backend", nil, []string{"listen 8080;", "return 503;"}, []string{"upstream", "proxy_pass"}},
		{"two backends", map[string]string{"/lb/web/10.0.0.1:8080": "10.0.0.1:8080", "/lb/web/[fd00::2]:8081": "[fd00::2]:8081", "/lb/other/x": "10.9.9.9:1"},
			[]string{"upstream web_pool {\n    server 10.0.0.1:8080;\n    server [fd00::2]:8081;\n}", "listen 8080;", "proxy_pass http://web_pool;"},
			[]string{"return 503", "10.9.9.9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := kv.NewTree()
			for k, v := range tc.backends {
				store.Put(k, v)
			}
			out, err := tmpl.Execute(store)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("rendered template lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(string(out), n) {
					t.Errorf("rendered template has %q:\n%s", n, out)
				}
			}
			conf := filepath.Join(t.TempDir(), "web.conf")
			if err := os.WriteFile(conf, out, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := nginxCheck(t, nginx, conf); err != nil {
				t.Errorf("%v\nrendered:\n%s", err, out)
			}
		})
	}
}

// TestConfDirRefusesInjectedValue: issue 13 item 6's value, which with
// `server {{.}};` closed the upstream and opened a server that passed
// nginx -t, is a render error naming its key.
func TestConfDirRefusesInjectedValue(t *testing.T) {
	files, err := ConfDir(Spec{Service: "web", KeyPrefix: "/lb/web", LBPort: 8080})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := render.Parse("web.tmpl", files[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	store := kv.NewTree()
	store.Put("/lb/web/a", "10.0.0.1:8080")
	store.Put("/lb/web/x", "1.2.3.4:80; } server { listen 9999; access_log /any/path; } upstream d { server 127.0.0.1:1")
	out, err := tmpl.Execute(store)
	var re *render.Error
	if !errors.Is(err, render.ErrInvalidValue) || !errors.As(err, &re) || re.Key != "/lb/web/x" {
		t.Fatalf("rendered %q, error %v; want a refusal naming /lb/web/x", out, err)
	}
}

// TestConfDirListen: --lb-listen puts the address into nginx's listen
// line (IPv6 in brackets); without it nginx listens on every address.
func TestConfDirListen(t *testing.T) {
	for _, tc := range []struct {
		listen, want string
	}{
		{"", "\n    listen 80;\n"},
		{"127.0.0.1", "\n    listen 127.0.0.1:80;\n"},
		{"::1", "\n    listen [::1]:80;\n"},
	} {
		files, err := ConfDir(Spec{LBListen: tc.listen})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(files[1].Data); !strings.Contains(got, tc.want) {
			t.Errorf("--lb-listen %q: template lacks %q:\n%s", tc.listen, tc.want, got)
		}
	}
}

// TestConfDirSharedByServices: two services' files do not collide, so
// one confdir (and one confwatch run) can serve both.
func TestConfDirSharedByServices(t *testing.T) {
	dir := t.TempDir()
	for _, svc := range []string{"apache", "api"} {
		files, err := ConfDir(Spec{Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteFiles(dir, files, false); err != nil {
			t.Fatalf("%s into a shared confdir: %v", svc, err)
		}
	}
	for _, f := range []string{"conf.d/apache.toml", "conf.d/api.toml", "templates/apache.tmpl", "templates/api.tmpl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
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
		"relative exec":             {Spec{Runtime: RuntimeExec, BackendExec: []string{"srv"}}, `--backend-exec: executable "srv" must be an absolute`},
		"exec without command":      {Spec{Runtime: RuntimeExec}, "backend-exec: required"},
		"service with space":        {Spec{Service: "my app"}, "--service:"},
		"too long a service":        {Spec{Service: strings.Repeat("a", 240)}, "--service: unit name"},
		"too long an lb-name":       {Spec{LBName: strings.Repeat("a", 250)}, "--lb-name: unit name"},
		"bad machine-metadata":      {Spec{Flavor: FlavorFleet, MachineMetadata: []string{"role"}}, `--machine-metadata: "role"`},
		"bad lb-machine-metadata":   {Spec{Flavor: FlavorFleet, LBMachineMetadata: []string{"role"}}, `--lb-machine-metadata: "role"`},
		"ttl not whole seconds":     {Spec{TTL: 1500 * time.Millisecond}, "--ttl: 1.5s is not a whole number of seconds"},
		"zoned advertise ip":        {Spec{AdvertiseIP: "fe80::1%eth0"}, `--advertise-ip: "fe80::1%eth0" has a zone`},
		"negative drain":            {Spec{Drain: ptr(-time.Second)}, "--drain: negative"},
		"negative restart-sec":      {Spec{RestartDelay: ptr(-time.Second)}, "--restart-sec: negative"},
		"max-shrink over 100":       {Spec{MaxShrink: ptr(101)}, "--max-shrink: 101"},
		"relative config":           {Spec{ConfigFile: "etcd.toml"}, "--config:"},
		"lb named nginx":            {Spec{LBName: "nginx"}, "clash"},
		"too long a name":           {Spec{Service: strings.Repeat("a", 240)}, "more than 255"},
		"line of 2048 bytes":        {Spec{Runtime: RuntimeExec, BackendExec: []string{"/bin/x", long}}, "2048 bytes or more"},
		"percent in fleet value":    {Spec{Flavor: FlavorFleet, LBConflicts: []string{"a%i*"}}, "lb-conflicts"},
		"fleet option on systemd":   {Spec{GlobalLB: true}, "need --flavor fleet"},
		"image looking like a flag": {Spec{BackendImage: "--privileged"}, "backend-image"},
		"bad advertise ip":          {Spec{AdvertiseIP: "10.0.0"}, "advertise-ip"},
		"bad env name":              {Spec{AdvertiseEnv: "A-B"}, "advertise-env"},
		"short ttl":                 {Spec{TTL: 1}, "--ttl"},
		"lb-listen host name":       {Spec{LBListen: "localhost"}, `--lb-listen: "localhost" is not an IP address`},
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
