package render

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/kv"
)

// fnCase is one row of the function tables: text executed against store
// must give want, or an error containing err.
type fnCase struct {
	name  string
	store kv.Store
	text  string
	want  string
	err   string
}

var (
	bigValue = strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	manyKeys = func() *kv.Tree {
		t := kv.NewTree()
		for i := range 10000 {
			t.Put(fmt.Sprintf("/many/k%05d", i), fmt.Sprintf("v%05d", i))
		}
		return t
	}()
	lsStore = tree("/d", "0", "/d/abc", "1", "/d/def/ghi", "2", "/d/jkl/mno/p", "3",
		"/dx/q", "4", "/top", "5", "/o/b", "6", "/o/b-c/y", "7", "/o/b/x", "8")
	appView = kv.View{Prefix: "/app", Dirs: []kv.Dir{{Key: "/app/svc", Tree: tree("/app/svc/a", "1", "/app/svc/b", "2")}}}
)

var storeCases = []fnCase{
	{name: "get", store: tree("/a", "1"), text: `{{with get "/a"}}{{.Key}}={{.Value}}{{end}}`, want: "/a=1"},
	{name: "get missing key", store: tree("/a", "1"), text: `{{get "/x"}}`, err: "key does not exist: /x"},
	{name: "exists", store: tree("/a", ""), text: `{{exists "/a"}} {{exists "/x"}} {{exists "/"}}`, want: "true false false"},
	{name: "getv", store: tree("/a", "1"), text: `{{getv "/a"}}`, want: "1"},
	{name: "getv missing key", store: tree("/a", "1"), text: `{{getv "/missing"}}`, err: "key does not exist: /missing"},
	{name: "getv default", store: tree(), text: `{{getv "/x" "dflt"}}`, want: "dflt"},
	{name: "getv empty default counts", store: tree(), text: `[{{getv "/x" ""}}]`, want: "[]"},
	{name: "getv extra defaults ignored", store: tree(), text: `{{getv "/x" "a" "b"}}`, want: "a"},
	{name: "getv empty value beats default", store: tree("/e", ""), text: `[{{getv "/e" "d"}}]`, want: "[]"},
	{name: "getv value with newlines", store: tree("/n", "a\nb\n"), text: `<{{getv "/n"}}>`, want: "<a\nb\n>"},
	{name: "getv 1 MiB value", store: tree("/big", bigValue), text: `{{getv "/big"}}`, want: bigValue},
	{name: "getv nil store", store: nil, text: `{{getv "/x" "d"}}`, want: "d"},
	{name: "getv through view strips prefix", store: appView, text: `{{getv "/svc/a"}} {{exists "/app/svc/a"}}`, want: "1 false"},
	{name: "gets sorted by key", store: tree("/test/user", "mary", "/test/pass", "abc", "/nada/url", "url"),
		text: `{{range gets "/test/*"}}{{.Key}}={{.Value}};{{end}}`, want: "/test/pass=abc;/test/user=mary;"},
	{name: "gets star does not cross slash", store: tree("/a/b", "1", "/a/c/d", "2", "/a/e", "3"),
		text: `{{range gets "/a/*"}}{{.Key}};{{end}}`, want: "/a/b;/a/e;"},
	{name: "gets star matches empty suffix", store: tree("/a/", "0", "/a/b", "1", "/ab", "2"),
		text: `{{range gets "/a/*"}}{{.Key}};{{end}}`, want: "/a/;/a/b;"},
	{name: "gets star inside pattern", store: tree("/svc/a/port", "1", "/svc/b/port", "2", "/svc/b/host", "h", "/svc/c/d/port", "3"),
		text: `{{range gets "/svc/*/port"}}{{.Key}};{{end}}`, want: "/svc/a/port;/svc/b/port;"},
	{name: "gets question mark and class", store: tree("/n/a1", "", "/n/b2", "", "/n/c3", "", "/n/a12", ""),
		text: `{{range gets "/n/[ab]?"}}{{.Key}};{{end}}`, want: "/n/a1;/n/b2;"},
	{name: "gets escaped star is literal", store: tree("/e/*", "1", "/e/x", "2"),
		text: `{{range gets "/e/\\*"}}{{.Key}};{{end}}`, want: "/e/*;"},
	{name: "gets without meta is one key", store: tree("/a/b", "1", "/a/bc", "2"),
		text: `{{range gets "/a/b"}}{{.Key}};{{end}}`, want: "/a/b;"},
	{name: "gets through view", store: appView, text: `{{range gets "/svc/*"}}{{.Key}}={{.Value}};{{end}}`, want: "/svc/a=1;/svc/b=2;"},
	{name: "gets empty result", store: tree("/a", "1"), text: `{{range gets "/none/*"}}x{{else}}empty{{end}} {{gets "/none/*"}}`, want: "empty []"},
	{name: "gets bad pattern", store: tree("/a", "1"), text: `{{gets "/a/["}}`, err: "syntax error in pattern"},
	{name: "gets bad pattern on empty store", store: tree(), text: `{{gets "/a/["}}`, want: "[]"},
	{name: "getvs sorted by value as string", store: tree("/s/a", "10.0.0.2", "/s/b", "10.0.0.10", "/s/c", "10.0.0.1", "/s/d", "10.0.0.10:80"),
		text: `{{range getvs "/s/*"}}{{.}} {{end}}`, want: "10.0.0.1 10.0.0.10 10.0.0.10:80 10.0.0.2 "},
	{name: "getvs star does not cross slash", store: tree("/a/b", "1", "/a/c/d", "2"), text: `{{getvs "/a/*"}}`, want: "[1]"},
	{name: "getvs duplicate values kept", store: tree("/a/x", "v", "/a/y", "v"), text: `{{getvs "/a/*"}}`, want: "[v v]"},
	{name: "getvs empty result", store: tree("/a", "1"), text: `{{getvs "/none/*"}}`, want: "[]"},
	{name: "getvs bad pattern", store: tree("/a", "1"), text: `{{getvs "[-]"}}`, err: "syntax error in pattern"},
	{name: "getvs 10000 keys", store: manyKeys, text: `{{$v := getvs "/many/*"}}{{len $v}} {{index $v 0}} {{index $v 9999}}`, want: "10000 v00000 v09999"},
	{name: "ls", store: lsStore, text: `{{ls "/d"}}`, want: "[abc d def jkl]"},
	{name: "ls trailing slash", store: lsStore, text: `{{ls "/d/"}}`, want: "[abc def jkl]"},
	{name: "ls of a leaf key", store: lsStore, text: `{{ls "/d/abc"}}`, want: "[abc]"},
	{name: "ls nested dir", store: lsStore, text: `{{ls "/d/jkl"}}`, want: "[mno]"},
	{name: "ls distinct and sorted", store: lsStore, text: `{{ls "/o"}}`, want: "[b b-c]"},
	{name: "ls missing", store: lsStore, text: `{{ls "/nope"}}`, want: "[]"},
	{name: "ls root lists only root leaves", store: lsStore, text: `{{ls "/"}}`, want: "[d top]"},
	{name: "ls empty path", store: lsStore, text: `{{ls ""}}`, want: "[]"},
	{name: "ls 10000 keys", store: manyKeys, text: `{{len (ls "/many")}}`, want: "10000"},
	{name: "lsdir", store: lsStore, text: `{{lsdir "/d"}}`, want: "[def jkl]"},
	{name: "lsdir trailing slash", store: lsStore, text: `{{lsdir "/d/"}}`, want: "[def jkl]"},
	{name: "lsdir nested", store: lsStore, text: `{{lsdir "/d/jkl"}} {{lsdir "/d/jkl/mno"}}`, want: "[mno] []"},
	{name: "lsdir no sibling prefix", store: lsStore, text: `{{lsdir "/"}} {{lsdir "/o"}}`, want: "[] [b b-c]"},
	{name: "lsdir missing", store: lsStore, text: `{{lsdir "/nope"}}`, want: "[]"},
	{name: "lsdir through view", store: appView, text: `{{lsdir "/"}} {{ls "/svc"}}`, want: "[] [a b]"},
}

func TestStoreFuncs(t *testing.T) { runCases(t, storeCases) }

func runCases(t *testing.T, cases []fnCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(t, tc.store, tc.text)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q (output %.80q)", err, tc.err, got)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			case got != tc.want:
				t.Fatalf("got %.200q, want %.200q", got, tc.want)
			}
		})
	}
}

func TestMissingKeyIsErrNotExist(t *testing.T) {
	_, err := run(t, tree(), `{{getv "/x"}}`)
	var re *Error
	if !errors.Is(err, ErrNotExist) || !errors.As(err, &re) || re.Key != "/x" {
		t.Fatalf("err = %#v, want *Error with Key /x wrapping ErrNotExist", err)
	}
}
