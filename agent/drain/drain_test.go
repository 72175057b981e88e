package drain

import (
	"context"
	"fmt"
	"os"
	"testing"
	"testing/fstest"
)

func stat(pid int, comm string, start uint64) []byte {
	return fmt.Appendf(nil, "%d (%s) S 1 1 1 0 -1 4194624 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n", pid, comm, start)
}

func TestGenerations(t *testing.T) {
	nginx := Matchers["nginx"]
	w, d := "nginx: worker process", "nginx: worker process is shutting down"
	for _, tt := range []struct {
		name  string
		procs []Proc
		want  int
	}{
		{"none", nil, 0},
		{"only live workers", []Proc{{1, "nginx: master process /usr/sbin/nginx", 0}, {2, w, 500}, {3, w, 500}}, 0},
		{"one generation of two workers", []Proc{{2, d, 500}, {3, d, 501}, {4, w, 900}}, 1},
		{"three generations", []Proc{{2, d, 100}, {3, d, 101}, {4, d, 300}, {5, d, 302}, {6, d, 700}}, 3},
		{"start times just apart", []Proc{{2, d, 100}, {3, d, 100 + SameGeneration + 1}}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Generations(tt.procs, nginx); got != tt.want {
				t.Fatalf("Generations = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	fsys := fstest.MapFS{
		"sys/fs/cgroup/system.slice/nginx.service/cgroup.procs": {Data: []byte("10\n11\n12\n13\n")},
		"proc/10/cmdline": {Data: []byte("nginx: master process /usr/sbin/nginx\x00")},
		"proc/10/stat":    {Data: stat(10, "nginx", 50)},
		"proc/11/cmdline": {Data: []byte("nginx: worker process is shutting down\x00")},
		"proc/11/stat":    {Data: stat(11, "ngi) nx", 60)}, // a ')' in the command
		"proc/12/cmdline": {Data: []byte("nginx: worker process\x00")},
		"proc/12/stat":    {Data: stat(12, "nginx", 90)},
		// 13 exited (or is hidden): skipped.
	}
	procs, unseen, err := Read(fsys, "/system.slice/nginx.service")
	if err != nil || unseen != 1 {
		t.Fatalf("unseen = %d, err = %v; want 1, nil", unseen, err)
	}
	if len(procs) != 3 || procs[1].Start != 60 || procs[1].Cmdline != "nginx: worker process is shutting down" {
		t.Fatalf("procs = %+v", procs)
	}
	if g := Generations(procs, Matchers["nginx"]); g != 1 {
		t.Fatalf("generations = %d, want 1", g)
	}
	if _, _, err := Read(fsys, "/system.slice/gone.service"); err == nil {
		t.Fatal("a missing cgroup read without error")
	}
}

// TestReadSelf reads this test's own process from the real /proc (no
// cgroup needed): the stat parser agrees with the kernel's format.
func TestReadSelf(t *testing.T) {
	p, err := readProc(os.DirFS("/"), os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.Start == 0 || p.Cmdline == "" {
		t.Fatalf("self = %+v", p)
	}
}

func TestCounter(t *testing.T) {
	d := "nginx: worker process is shutting down\x00"
	fsys := fstest.MapFS{
		"sys/fs/cgroup/system.slice/nginx.service/cgroup.procs": {Data: []byte("11\n12\n13\n")},
		"proc/11/cmdline": {Data: []byte(d)}, "proc/11/stat": {Data: stat(11, "nginx", 100)},
		"proc/12/cmdline": {Data: []byte(d)}, "proc/12/stat": {Data: stat(12, "nginx", 500)},
	}
	asked := 0
	cg := map[string]string{"nginx.service": "/system.slice/nginx.service", "gone.service": "/system.slice/gone.service"}
	c := &Counter{FS: fsys, Match: Matchers["nginx"], CG: func(_ context.Context, unit string) (string, error) {
		asked++
		return cg[unit], nil
	}}
	for range 2 {
		n, err := c.Count(context.Background(), "nginx.service")
		if err != nil || n != (Count{Generations: 2, Procs: 2, Unseen: 1}) {
			t.Fatalf("Count = %+v, %v", n, err)
		}
	}
	if asked != 1 {
		t.Fatalf("systemd asked %d times for one unit's cgroup, want once", asked)
	}
	for _, u := range []string{"idle.service", "gone.service"} { // no process; a cgroup gone
		if n, err := c.Count(context.Background(), u); err != nil || n != (Count{}) {
			t.Fatalf("%s: Count = %+v, %v; want nothing", u, n, err)
		}
	}
}
