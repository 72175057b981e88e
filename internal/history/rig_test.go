package history

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/agent/render"
	"github.com/confwatch/confwatch/internal/etcdcluster"
)

// The resource under test: every key of /services/web, one line each.
const (
	dir      = "/services/web"
	template = `{{range gets "/services/web/*"}}{{base .Key}}={{.Value}}
{{end}}`
)

// rig is a real cluster, the built confwatch binary running as the agent
// and as sidekicks, and what the test knows of the faults it made.
type rig struct {
	t      *testing.T
	c      *etcdcluster.Cluster
	bin    string
	dir    string // confdir
	dest   string
	reload string // reload log directory
	clis   []*clientv3.Client
	tmpl   *render.Template

	mu       sync.Mutex
	down     [3]bool // frozen or killed
	noQuorum bool
	agent    *exec.Cmd
	excused  []Window // the agent stopped or killed on purpose
	starts   []time.Time
	sides    []*sidekick
}

type sidekick struct {
	key string
	cmd *exec.Cmd
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, c: etcdcluster.Start(t), bin: buildConfwatch(t), dir: t.TempDir()}
	r.dest = filepath.Join(r.dir, "out", "web.conf")
	r.reload = filepath.Join(r.dir, "reloads")
	for _, d := range []string{"conf.d", "templates", "out", "reloads", "state"} {
		must(t, os.MkdirAll(filepath.Join(r.dir, d), 0o755))
	}
	src := filepath.Join(r.dir, "templates", "web.tmpl")
	must(t, os.WriteFile(src, []byte(template), 0o644))
	must(t, os.WriteFile(filepath.Join(r.dir, "confwatch.toml"), nil, 0o644))
	res := fmt.Sprintf("[template]\nsrc = \"web.tmpl\"\ndest = %q\nkeys = [%q]\nmode = \"0644\"\n"+
		"min_reload_interval = \"0\"\nreload_cmd = %q\n", r.dest, dir, ReloadCommand(r.reload))
	must(t, os.WriteFile(filepath.Join(r.dir, "conf.d", "web.toml"), []byte(res), 0o644))
	var err error
	if r.tmpl, err = render.ParseFile(src); err != nil {
		t.Fatal(err)
	}
	for _, ep := range r.c.Endpoints() {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 2 * time.Second, Logger: zap.NewNop(),
			DialKeepAliveTime: 5 * time.Second, DialKeepAliveTimeout: 2 * time.Second})
		must(t, err)
		t.Cleanup(func() { _ = cli.Close() })
		r.clis = append(r.clis, cli)
	}
	return r
}

// live are the members neither frozen nor killed.
func (r *rig) live() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for i, d := range r.down {
		if !d {
			out = append(out, i)
		}
	}
	return out
}

func (r *rig) setDown(i int, d bool) {
	r.mu.Lock()
	r.down[i] = d
	r.mu.Unlock()
}

func (r *rig) quorum() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.noQuorum
}

// put writes through a live member, trying each once.
func (r *rig) put(ctx context.Context, key, val string) (int64, error) {
	var err error
	for _, i := range r.live() {
		cctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
		var resp *clientv3.PutResponse
		resp, err = r.clis[i].Put(cctx, key, val)
		cancel()
		if err == nil {
			return resp.Header.Revision, nil
		}
	}
	return 0, fmt.Errorf("put %s: %w", key, err)
}

func (r *rig) del(ctx context.Context, key string) (int64, error) {
	var err error
	for _, i := range r.live() {
		cctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
		var resp *clientv3.DeleteResponse
		resp, err = r.clis[i].Delete(cctx, key)
		cancel()
		if err == nil {
			return resp.Header.Revision, nil
		}
	}
	return 0, fmt.Errorf("delete %s: %w", key, err)
}

// get reads key linearizably through a live member: ok is false when none
// answered (no quorum, or every live member busy electing).
func (r *rig) get(ctx context.Context, key string) (present, ok bool, rev int64) {
	for _, i := range r.live() {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		resp, err := r.clis[i].Get(cctx, key)
		cancel()
		if err == nil {
			return len(resp.Kvs) > 0, true, resp.Header.Revision
		}
	}
	return false, false, 0
}

func (r *rig) endpoints() string { return strings.Join(r.c.Endpoints(), ",") }

// startAgent runs `confwatch run`, its log appended to agent.log, and closes
// the excused window a stop opened.
func (r *rig) startAgent() {
	r.t.Helper()
	cmd := exec.Command(r.bin, "run", "--confdir", r.dir, "--state-dir", filepath.Join(r.dir, "state"),
		"--config", filepath.Join(r.dir, "confwatch.toml"), "--endpoints", r.endpoints(), "--log-format", "text")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	cmd.Stdout, cmd.Stderr = r.logFile("agent.log"), r.logFile("agent.log")
	must(r.t, cmd.Start())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.agent = cmd
	r.starts = append(r.starts, time.Now())
	if n := len(r.excused); n > 0 && r.excused[n-1].To.IsZero() {
		r.excused[n-1].To = time.Now()
	}
}

// stopAgent signals the agent and waits for its exit; the agent is down
// (excused) from now until the next startAgent.
func (r *rig) stopAgent(sig syscall.Signal) error {
	r.mu.Lock()
	cmd := r.agent
	r.agent = nil
	r.excused = append(r.excused, Window{From: time.Now()})
	r.mu.Unlock()
	if cmd == nil {
		return nil
	}
	must(r.t, cmd.Process.Signal(sig))
	return cmd.Wait()
}

// pauseAgent SIGSTOPs the agent for the duration of during.
func (r *rig) pauseAgent(during func()) {
	r.mu.Lock()
	cmd := r.agent
	r.mu.Unlock()
	w := Window{From: time.Now()}
	must(r.t, cmd.Process.Signal(syscall.SIGSTOP))
	during()
	w.To = time.Now()
	must(r.t, cmd.Process.Signal(syscall.SIGCONT))
	r.mu.Lock()
	r.excused = append(r.excused, w)
	r.mu.Unlock()
}

func (r *rig) agentPid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.agent == nil {
		return 0
	}
	return r.agent.Process.Pid
}

// startSidekick runs `confwatch register` for key with a TTL of ttl.
func (r *rig) startSidekick(key, ttl string) {
	cmd := exec.Command(r.bin, "register", "--config", filepath.Join(r.dir, "confwatch.toml"), "--endpoints", r.endpoints(),
		"--key", key, "--value", "10.9.9.9:"+filepath.Base(key), "--ttl", ttl, "--log-format", "text", "--log-level", "debug")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	cmd.Stdout, cmd.Stderr = r.logFile("sidekicks.log"), r.logFile("sidekicks.log")
	must(r.t, cmd.Start())
	r.mu.Lock()
	r.sides = append(r.sides, &sidekick{key: key, cmd: cmd})
	r.mu.Unlock()
}

func (r *rig) logFile(name string) *os.File {
	f, err := os.OpenFile(filepath.Join(r.dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	must(r.t, err)
	r.t.Cleanup(func() { _ = f.Close() })
	return f
}

func (r *rig) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(r.dir, name))
	return string(b)
}

// stopAll kills the agent and the sidekicks.
func (r *rig) stopAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.agent != nil {
		_ = r.agent.Process.Signal(syscall.SIGCONT)
		_ = r.agent.Process.Kill()
		_ = r.agent.Wait()
		r.agent = nil
	}
	for _, s := range r.sides {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	r.sides = nil
}

func buildConfwatch(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH: cannot build the binary")
	}
	bin := filepath.Join(t.TempDir(), "confwatch")
	if out, err := exec.Command(goBin, "build", "-o", bin, "../../cmd/confwatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seed puts n keys k00..k(n-1) under dir (failing the test when the cluster
// does not take them) and starts a recorder of dir, closed with the test.
func (r *rig) seed(ctx context.Context, n int) *Recorder {
	r.t.Helper()
	for i := range n {
		if _, err := r.put(ctx, fmt.Sprintf("%s/k%02d", dir, i), "seed"); err != nil {
			r.t.Fatalf("cluster not usable: %v", err)
		}
	}
	rec, err := Record(ctx, r.c.Endpoints(), dir+"/")
	must(r.t, err)
	r.t.Cleanup(rec.Close)
	return rec
}

// sidekickKeys runs three sidekicks with lease TTL ttl, a writer and a
// presence reader of their keys through faults, then fails the test for
// every absence while quorum held (with the keys' events and the
// sidekicks' log when there is one).
func (r *rig) sidekickKeys(ctx context.Context, ttl string, faults func()) {
	r.t.Helper()
	rec := r.seed(ctx, 1)
	for i := range 3 {
		r.startSidekick(fmt.Sprintf("%s/side%d", dir, i+1), ttl)
	}
	defer r.stopAll()
	p, w := &presence{r: r}, &writer{r: r}
	var wg sync.WaitGroup
	pctx, pcancel := context.WithCancel(ctx)
	wg.Go(func() { p.run(pctx) })
	wg.Go(func() { w.run(pctx) })
	time.Sleep(3 * time.Second)
	faults()
	pcancel()
	wg.Wait()
	longest, gaps, reads := p.report()
	r.t.Logf("key reads %d, longest absence %v", reads, longest)
	for _, g := range gaps {
		r.t.Errorf("absent while quorum held: %s", g)
	}
	if len(gaps) > 0 {
		_, _, rev := r.get(ctx, dir+"/k00")
		h, _ := rec.History(rev)
		r.t.Logf("sidekick key events:\n%s\nsidekicks' log:\n%s", sideEvents(h), r.log("sidekicks.log"))
	}
}
