package render

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"text/template"

	"github.com/confwatch/confwatch/agent/kv"
)

// apacheView returns the classic confd data set, n upstream servers under
// /services/apache, as the agent presents it: a View over one directory.
func apacheView(n int) kv.View {
	t := kv.NewTree()
	for i := range n {
		addr := fmt.Sprintf("10.0.%d.%d:8080", i/256, i%256)
		t.Put("/services/apache/"+addr, addr)
	}
	t.Put("/services/apache2/10.9.9.9:8080", "not matched")
	return kv.View{Dirs: []kv.Dir{{Key: "/services/apache", Tree: t}}}
}

func BenchmarkExecuteClassic(b *testing.B) {
	tmpl, err := ParseFile("testdata/nginx.tmpl")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{0, 1000, 10000, 100000} {
		store := apacheView(n)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				out, err := tmpl.Execute(store)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.SetBytes(int64(size))
		})
	}
}

// BenchmarkExecuteStrategy compares ways of binding the store per execution,
// on the classic template with 10 keys, where the fixed cost dominates:
// pool (what Execute does), clone (Clone + Funcs per call) and parse (parse
// per call with fresh functions, as confd does).
func BenchmarkExecuteStrategy(b *testing.B) {
	text, err := os.ReadFile("testdata/nginx.tmpl")
	if err != nil {
		b.Fatal(err)
	}
	store := apacheView(10)
	tmpl, err := Parse("nginx.tmpl", text)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pool", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tmpl.Execute(store); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("clone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := tmpl.base.Clone()
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			if err := c.Funcs(Funcs(store)).Execute(&buf, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := template.New("nginx.tmpl").Funcs(Funcs(store)).Parse(string(text))
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			if err := t.Execute(&buf, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreFuncs measures the store functions alone over 100,000 keys.
func BenchmarkStoreFuncs(b *testing.B) {
	store := apacheView(100000)
	bd := &binding{store: store}
	b.Run("getvs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, _ := bd.getvs("/services/apache/*"); len(v) != 100000 {
				b.Fatal(len(v))
			}
		}
	})
	b.Run("gets", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, _ := bd.gets("/services/apache/*"); len(v) != 100000 {
				b.Fatal(len(v))
			}
		}
	})
	b.Run("ls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v := bd.ls("/services/apache"); len(v) != 100000 {
				b.Fatal(len(v))
			}
		}
	})
	b.Run("lsdir", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v := bd.lsdir("/services"); len(v) != 2 {
				b.Fatal(v)
			}
		}
	})
}
