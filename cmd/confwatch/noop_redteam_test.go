package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// treeState is every file and directory under root: mode, and contents for files.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	must(t, filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		m[p] = v
		return nil
	}))
	return m
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if w, ok := before[p]; !ok {
			t.Errorf("%s created %s", what, p)
		} else if w != v {
			t.Errorf("%s changed %s:\n was %q\n now %q", what, p, w, v)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s removed %s", what, p)
		}
	}
}

// TestPlanAndNoopChangeNothing: README: `plan` "changes nothing", `noop`
// "render and compare, change nothing". A confd tree with a state_dir
// baseline of 10 keys, then three cases: a pending change, a collapse the
// shrink guard refuses, and the same collapse already hand-applied to dest
// (a refused render equal to dest). After `plan`, `plan --force` and
// `render --noop` the whole tree (dest dir, state_dir, markers) is byte for
// byte as it was, and no check or reload command ran.
func TestPlanAndNoopChangeNothing(t *testing.T) {
	srv := testetcd.Start(t)
	d := newConfd(t)
	ran := filepath.Join(t.TempDir(), "ran")
	dest := filepath.Join(d.out, "svc.conf")
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", "svc.tmpl"),
		[]byte(`{{ range gets "/svc/*" }}{{ .Value }}`+"\n"+`{{ end }}`), 0o644))
	d.resource(t, "svc", fmt.Sprintf("src = \"svc.tmpl\"\ndest = %q\nkeys = [\"/svc\"]\n"+
		"check_cmd = \"echo check >> %s; true\"\nreload_cmd = \"echo reload >> %s\"\n", dest, ran, ran))
	for i := 0; i < 10; i++ {
		srv.Put(t, fmt.Sprintf("/svc/k%d", i), fmt.Sprintf("v%d", i))
	}
	if code, out, errs := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("baseline render: exit %d\n%s%s", code, out, errs)
	}
	must(t, os.Remove(ran))

	steps := []struct {
		name  string
		setup func()
	}{
		{"pending change", func() { srv.Put(t, "/svc/k0", "changed") }},
		{"refused collapse", func() {
			for i := 2; i < 10; i++ {
				srv.Delete(t, fmt.Sprintf("/svc/k%d", i))
			}
		}},
		{"refused collapse equal to dest", func() { must(t, os.WriteFile(dest, []byte("changed\nv1\n"), 0o644)) }},
	}
	for _, st := range steps {
		st.setup()
		for _, args := range [][]string{{"plan"}, {"plan", "--force"}, {"render", "--noop"}} {
			t.Run(st.name+"/"+fmt.Sprint(args), func(t *testing.T) {
				before := treeState(t, d.dir)
				code, out, errs := cw(t, d.args(srv.Endpoint, args...)...)
				if code == exitUsage || code == exitNoEtcd {
					t.Fatalf("exit %d\n%s%s", code, out, errs)
				}
				sameTree(t, fmt.Sprint(args), before, treeState(t, d.dir))
				if _, err := os.Stat(ran); err == nil {
					t.Errorf("%v ran a command: %q", args, read(t, ran))
				}
			})
		}
	}
}
