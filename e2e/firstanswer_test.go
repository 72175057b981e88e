package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

const (
	// firstAnswerResource renders nginx's whole configuration from
	// firstAnswerDir, checks the staged file with nginx -t and reloads
	// nginx.service over D-Bus; every other setting is the default
	// (min_reload_interval 1s).
	firstAnswerResource = `[template]
src = "firstanswer.tmpl"
dest = "/etc/nginx/nginx.conf"
keys = ["/e2e/backends"]
check_cmd = "/usr/sbin/nginx -t -q -c {{.src}}"
reload_unit = "nginx.service"
`
	firstAnswerDir  = "/e2e/backends/"
	firstAnswerBody = "first-answer-backend"
	// firstAnswerQuiet is the pause between measured changes: a bit more
	// than the default min_reload_interval, so each change comes after quiet
	// and is applied at once.
	firstAnswerQuiet = 1200 * time.Millisecond
)

// firstAnswerTemplate is bench/cmd/benchrun's section 6 template under
// Debian's nginx.service: one exact location per backend key, proxying to
// the key's value, so /b/<key> is answered by its backend only once nginx
// runs a configuration that has it (404 before).
func firstAnswerTemplate(port int) string {
	return boxNginxConf(port, `{{- range gets "/e2e/backends/*"}}
        location = /b/{{base .Key}} { proxy_pass http://{{.Value}}; }
{{- end}}
        location / { return 404; }`)
}

// TestFirstAnswerUnderSystemd: put → first request answered by the new
// backend through Debian's nginx under a real systemd, with the shipped
// unit, reload_unit and default settings (issue 17 item 3; the figures of
// docs/BENCHMARKS.md section 6b). Each change puts a new backend key; from
// the start of the put, /b/<key> is requested through nginx (a new
// connection every ~1 ms) until the backend answers, and each change must
// bring a systemd reload of nginx.service (one more "Reloaded" in its
// journal, the same main PID). Only function is asserted, never timing.
//
// CONFWATCH_BENCH_FIRSTANSWER (backend counts, default "10") and
// CONFWATCH_BENCH_FIRSTANSWER_CHANGES (default 5) set the sizes; each size
// logs one "bench:" line, which `make bench` reads.
func TestFirstAnswerUnderSystemd(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "../contrib/systemd/confwatch.service")
	sizes, changes := firstAnswerSizes(t)
	for _, n := range sizes {
		t.Run(fmt.Sprintf("backends=%d", n), func(t *testing.T) { firstAnswerRun(t, n, changes) })
	}
}

// firstAnswerSizes reads the sizes from the environment.
func firstAnswerSizes(t *testing.T) (sizes []int, changes int) {
	t.Helper()
	sizes, changes = []int{10}, 5
	if s := os.Getenv("CONFWATCH_BENCH_FIRSTANSWER"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				t.Fatalf("CONFWATCH_BENCH_FIRSTANSWER=%q: want backend counts like 10,1000,10000", s)
			}
			sizes = append(sizes, n)
		}
	}
	if s := os.Getenv("CONFWATCH_BENCH_FIRSTANSWER_CHANGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CONFWATCH_BENCH_FIRSTANSWER_CHANGES=%q: want a positive count", s)
		}
		changes = n
	}
	return sizes, changes
}

func firstAnswerRun(t *testing.T, n, changes int) {
	confwatch, _ := binaries(t)
	etcd := testetcd.Start(t)
	ports := freePorts(t, 1)
	port := ports[0]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, firstAnswerBody)
	}))
	t.Cleanup(backend.Close)
	addr := strings.TrimPrefix(backend.URL, "http://")
	preload(t, etcd, n, addr)

	units, _ := shippedUnit(firstAnswerResource)(t, confwatch, etcd.Endpoint, port)
	x := startBox(t, []string{"confwatch.service", "nginx.service"}, units...)
	x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
	x.write(agentConfDir+"/conf.d/nginx.toml", []byte(firstAnswerResource), 0o644)
	x.write(agentConfDir+"/templates/firstanswer.tmpl", []byte(firstAnswerTemplate(port)), 0o644)
	x.run("rm", "-f", "/etc/nginx/sites-enabled/default")
	x.startActive("confwatch.service", "confwatch.service", "nginx.service")
	if n > 0 {
		waitBody(t, lb+"b/k0", firstAnswerBody, 60*time.Second)
	}
	nginxPID := x.prop("nginx.service", "MainPID")
	reloaded := func() int { return strings.Count(x.Journal("nginx.service"), "Reloaded ") }
	applied := len(appliedLines(x.Journal("confwatch.service")))
	time.Sleep(firstAnswerQuiet)

	var firsts []time.Duration
	for i := range changes {
		key := "new" + strconv.Itoa(i)
		before := reloaded()
		if body, err := get(lb + "b/" + key); err == nil {
			t.Fatalf("/b/%s answered %q before its put", key, body)
		}
		began := time.Now()
		etcd.Put(t, firstAnswerDir+key, addr)
		first := firstAnswer(t, lb+"b/"+key, began)
		firsts = append(firsts, first)
		next := began.Add(first + firstAnswerQuiet)
		waitFor(t, 10*time.Second, "nginx.service reloaded by systemd for "+key, func() (bool, string) {
			r := reloaded()
			return r > before, fmt.Sprintf("%d \"Reloaded\" lines, %d before", r, before)
		})
		if pid := x.prop("nginx.service", "MainPID"); pid != nginxPID {
			t.Fatalf("nginx's main PID changed from %s to %s: restarted, not reloaded", nginxPID, pid)
		}
		time.Sleep(time.Until(next))
	}

	var checks, reloads []time.Duration
	for _, l := range appliedLines(x.Journal("confwatch.service"))[applied:] {
		checks, reloads = append(checks, l.check), append(reloads, l.reload)
	}
	t.Logf("%d backends, %d changes: put → first answer %v; %d applies, check %v, reload %v",
		n, changes, roundAll(firsts), len(checks), roundAll(checks), roundAll(reloads))
	// Read by `make bench` (bench/cmd/benchrun, section 6b).
	t.Logf("bench: backends=%d changes=%d first_p50_ms=%s first_p95_ms=%s applies=%d check_p50_ms=%s check_p95_ms=%s reload_p50_ms=%s reload_p95_ms=%s",
		n, changes, msStr(percentile(firsts, 50)), msStr(percentile(firsts, 95)), len(checks),
		msStr(percentile(checks, 50)), msStr(percentile(checks, 95)), msStr(percentile(reloads, 50)), msStr(percentile(reloads, 95)))
}

// preload puts n backend keys k0..k<n-1>, all pointing at addr, in
// transactions of 100.
func preload(t *testing.T, etcd *testetcd.Server, n int, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < n; i += 100 {
		var ops []clientv3.Op
		for k := i; k < min(i+100, n); k++ {
			ops = append(ops, clientv3.OpPut(firstAnswerDir+"k"+strconv.Itoa(k), addr))
		}
		if _, err := etcd.Client.Txn(ctx).Then(ops...).Commit(); err != nil {
			t.Fatalf("preload %d backends: %v", n, err)
		}
	}
}

// firstAnswer requests url on a new connection every ~1 ms until the
// backend answers, and returns how long after began that answer came. A
// hang guard, not a timing assertion: 60 s.
func firstAnswer(t *testing.T, url string, began time.Time) time.Duration {
	t.Helper()
	for {
		body, err := get(url)
		if err == nil && body == firstAnswerBody {
			return time.Since(began)
		}
		if time.Since(began) > time.Minute {
			t.Fatalf("%s not answered by the new backend after 60s: %q, %v", url, body, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// appliedLine is the agent's own timing of one apply, from its info
// "applied" line.
type appliedLine struct{ check, reload time.Duration }

// appliedLines reads the "applied" lines of the agent's journal.
func appliedLines(journal string) []appliedLine {
	var out []appliedLine
	for _, l := range strings.Split(journal, "\n") {
		_, rest, ok := strings.Cut(l, ": applied ")
		if !ok {
			continue
		}
		var a appliedLine
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			d, err := time.ParseDuration(v)
			switch {
			case err != nil:
			case k == "check":
				a.check = d
			case k == "reload":
				a.reload = d
			}
		}
		out = append(out, a)
	}
	return out
}

func msStr(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(100 * time.Microsecond)
	}
	return out
}

func TestAppliedLines(t *testing.T) {
	j := "[   1.000000] box confwatch[7]: applied resource=nginx dest=/etc/nginx/nginx.conf revision=3 reloaded=false check=1.5ms reload=0s\n" +
		"[   2.000000] box confwatch[7]: change dir=/e2e/backends revision=4 puts=1 deletes=0\n" +
		"[   2.100000] box confwatch[7]: applied resource=nginx dest=/etc/nginx/nginx.conf revision=4 reloaded=true check=12.25ms reload=31.5ms\n"
	got := appliedLines(j)
	want := []appliedLine{{1500 * time.Microsecond, 0}, {12250 * time.Microsecond, 31500 * time.Microsecond}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("appliedLines = %v, want %v", got, want)
	}
}
