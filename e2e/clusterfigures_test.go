package e2e

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// clusterFigures are what TestCluster measured, for its log and docs/CLUSTER.md.
type clusterFigures struct {
	began    time.Time
	labUp    time.Duration
	lbs      []string
	load     loadLimits
	cases    []caseFigures
	dereg    map[string][]time.Duration // drain mode -> from `systemctl stop` to the backend's SIGTERM
	converge []convergence
	complete bool // every case ran
}

// caseFigures are the requests sent and failed per load balancer during one case.
type caseFigures struct {
	name         string
	sent, failed map[string]int
	note         string
}

type convergence struct {
	what string
	took time.Duration
}

// window counts l's requests per load balancer sent in [from, to) as case name.
func (f *clusterFigures) window(l *labLoad, name string, from, to time.Time, note string) caseFigures {
	cf := caseFigures{name: name, sent: map[string]int{}, failed: map[string]int{}, note: note}
	l.settle(to)
	for _, lb := range f.lbs {
		hits := l.between(lb, from, to)
		_, failed, _ := summary(hits)
		cf.sent[lb], cf.failed[lb] = len(hits), failed
	}
	f.cases = append(f.cases, cf)
	return cf
}

// percentile is the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// markdown is the section "The lab's figures" of docs/CLUSTER.md.
func (f *clusterFigures) markdown(modes []string) string {
	var b strings.Builder
	r := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	fmt.Fprintf(&b, "## The lab's figures\n\n")
	fmt.Fprintf(&b, "Written by `make cluster-bench` (e2e's TestCluster with `CLUSTER_FIGURES` set) on %s, %s/%s, %d CPUs; "+
		"the lab was up in %s, the whole run took %s. Regenerate them the same way; the numbers vary with the machine's load.\n\n",
		f.began.UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), r(f.labUp), r(time.Since(f.began)))
	fmt.Fprintf(&b, "The lab (e2e/cluster_test.go): five hosts, each a network namespace with a real systemd (internal/sdbox, internal/netlab): "+
		"h1-h3 run an etcd member of one 3-member cluster and a backend each; lb-a and lb-b run the generated `nginx_lb.service` with Debian's nginx. "+
		"A cut takes a host's link to the etcd network down; HTTP flows on a second network. "+
		"The load: %d workers per load balancer from a client namespace, one connection per request, a pause of %s; "+
		"each backend answer takes %s (header first, body after), and a stopping backend cuts the requests in flight, as Apache does on SIGTERM "+
		"(nginx retries refused connections on another server, so only those fail). Sidekicks: lease TTL %s, --drain %s; lb-b's reloads take %s during case 1.\n\n",
		f.load.workers, f.load.pause, clDelay, clTTL, clDrain, clSlowReload)
	fmt.Fprintf(&b, "### Deregistration time (case 1)\n\nFrom `systemctl stop apache@PORT` to the backend's SIGTERM, per stop-and-start cycle, while lb-b reloads slowly.\n\n")
	fmt.Fprintf(&b, "| drain | cycles | p50 | p95 | max |\n|---|---|---|---|---|\n")
	for _, m := range modes {
		ds := f.dereg[m]
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", m, len(ds), r(percentile(ds, 50)), r(percentile(ds, 95)), r(percentile(ds, 100)))
	}
	fmt.Fprintf(&b, "\nA request fails in case 1 only when its backend gets SIGTERM while a load balancer has the request in flight "+
		"(nginx retries refused connections). Without the barrier that is lb-b still routing to the backend; with it, nginx's old workers "+
		"finishing the requests they had when the reload returned (the reload's acknowledgement does not wait for them): the --drain "+
		"waited after the barrier is for those. (With --drain counted from the revoke instead, as first merged, this case failed 17 "+
		"requests through lb-b.)\n")
	fmt.Fprintf(&b, "\n### Requests per case\n\n| case | sent (%s) | failed (%s) | note |\n|---|---|---|---|\n",
		strings.Join(f.lbs, " / "), strings.Join(f.lbs, " / "))
	for _, c := range f.cases {
		var sent, failed []string
		for _, lb := range f.lbs {
			sent, failed = append(sent, fmt.Sprint(c.sent[lb])), append(failed, fmt.Sprint(c.failed[lb]))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.name, strings.Join(sent, " / "), strings.Join(failed, " / "), c.note)
	}
	fmt.Fprintf(&b, "\n### Convergence after a link returns\n\n| link | converged after |\n|---|---|\n")
	for _, c := range f.converge {
		fmt.Fprintf(&b, "| %s | %s |\n", c.what, r(c.took))
	}
	return b.String()
}

// writeFigures replaces the section "## The lab's figures" of the markdown file path
// (up to the next "## " heading or the end) with section, appending it when absent and
// creating the file when missing.
func writeFigures(path, section string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data, err = []byte("# confwatch in a cluster\n\n"), nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(replaceSection(string(data), section)), 0o644)
}

// replaceSection puts section (which starts with its "## " heading) in place of the
// section of doc with the same heading, or at its end.
func replaceSection(doc, section string) string {
	heading, _, _ := strings.Cut(section, "\n")
	start := strings.Index(doc, heading+"\n")
	if start < 0 {
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	rest := doc[start+len(heading)+1:]
	end := len(doc)
	if i := strings.Index(rest, "\n## "); i >= 0 {
		end = start + len(heading) + 1 + i + 1
		return doc[:start] + section + "\n" + doc[end:]
	}
	return doc[:start] + section
}

func TestReplaceSection(t *testing.T) {
	sec := "## The lab's figures\n\nnew\n"
	for _, c := range []struct{ doc, want string }{
		{"# T\n\n## Barrier\n\nx\n", "# T\n\n## Barrier\n\nx\n\n" + sec},
		{"# T\n\n## The lab's figures\n\nold\n", "# T\n\n" + sec},
		{"# T\n\n## The lab's figures\n\nold\n\n## After\n\ny\n", "# T\n\n" + sec + "\n## After\n\ny\n"},
	} {
		if got := replaceSection(c.doc, sec); got != c.want {
			t.Errorf("replaceSection(%q) = %q, want %q", c.doc, got, c.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	for _, c := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(30, 10, 20), 50, 20 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 95, 19 * time.Millisecond},
		{ms(5, 1), 100, 5 * time.Millisecond},
	} {
		if got := percentile(c.in, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.in, c.p, got, c.want)
		}
	}
}

func TestDropFlags(t *testing.T) {
	line := "ExecStart=/c register --key k --ack-prefix /a --drain-timeout=30s --drain 500ms"
	if got, want := dropFlags(line, "--ack-prefix", "--drain-timeout"), "ExecStart=/c register --key k --drain 500ms"; got != want {
		t.Errorf("dropFlags = %q, want %q", got, want)
	}
}
