package render

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var funcCases = []fnCase{
	{name: "dot is nil as in confd", text: `{{.}}`, want: "<no value>"},
	{name: "base", text: `{{base "/a/b/c"}} {{base ""}} {{base "/"}}`, want: "c . /"},
	{name: "dir", text: `{{dir "/a/b/c"}} {{dir "/a"}} {{dir "x"}}`, want: "/a/b / ."},
	{name: "split", text: `{{index (split "a:b:c" ":") 1}} {{len (split "" ",")}}`, want: "b 1"},
	{name: "join", text: `{{join (split "a,b" ",") "-"}}`, want: "a-b"},
	{name: "json object", text: `{{$d := json "{\"Id\":\"h1\",\"n\":2,\"l\":[1]}"}}{{$d.Id}} {{$d.n}} {{index $d.l 0}}`, want: "h1 2 1"},
	{name: "json null", text: `{{json "null"}}`, want: "map[]"},
	{name: "json invalid", text: `{{json "{oops"}}`, err: "error calling json: invalid character"},
	{name: "json array is not an object", text: `{{json "[1]"}}`, err: "cannot unmarshal array"},
	{name: "jsonArray", text: `{{range jsonArray "[\"1\", 2, {\"a\":true}]"}}{{.}};{{end}}`, want: "1;2;map[a:true];"},
	{name: "jsonArray invalid", text: `{{jsonArray "{}"}}`, err: "cannot unmarshal object"},
	{name: "map", text: `{{$m := map "a" 1 "b" "x"}}{{$m.a}}{{$m.b}} {{len (map)}}`, want: "1x 0"},
	{name: "map odd arguments", text: `{{map "a"}}`, err: "invalid map call"},
	{name: "map non-string key", text: `{{map 1 2}}`, err: "map keys must be strings"},
	{name: "getenv", text: `{{getenv "RENDER_T_SET"}} {{getenv "RENDER_T_SET" "d"}}`, want: "v v"},
	{name: "getenv default", text: `[{{getenv "RENDER_T_UNSET"}}] {{getenv "RENDER_T_UNSET" "d"}} {{getenv "RENDER_T_EMPTY" "e"}}`, want: "[] d e"},
	{name: "datetime", text: `{{gt datetime.Year 2000}}`, want: "true"},
	{name: "toUpper toLower", text: `{{toUpper "aB"}} {{toLower "aB"}}`, want: "AB ab"},
	{name: "contains", text: `{{contains "abc" "b"}} {{contains "abc" "x"}}`, want: "true false"},
	{name: "replace", text: `{{replace "a-b-c" "-" "_" -1}} {{replace "a-b-c" "-" "_" 1}}`, want: "a_b_c a_b-c"},
	{name: "trimSuffix", text: `{{trimSuffix "h.example.com" ".example.com"}} {{trimSuffix "h" "x"}}`, want: "h h"},
	{name: "fileExists", text: `{{fileExists "RENDER_T_FILE"}} {{fileExists "/nonexistent/x"}}`, want: "true false"},
	{name: "base64Encode", text: `{{base64Encode "Value"}}`, want: "VmFsdWU="},
	{name: "base64Decode", text: `{{base64Decode "VmFsdWU="}}`, want: "Value"},
	{name: "base64Decode invalid", text: `{{base64Decode "!!"}}`, err: "illegal base64"},
	{name: "parseBool", text: `{{parseBool "true"}} {{parseBool "0"}} {{parseBool "T"}}`, want: "true false true"},
	{name: "parseBool invalid", text: `{{parseBool "yes"}}`, err: "invalid syntax"},
	{name: "reverse strings in place", text: `{{$v := split "a,b,c" ","}}{{reverse $v}} {{$v}}`, want: "[c b a] [c b a]"},
	{name: "reverse getvs", store: tree("/r/a", "1", "/r/b", "2"), text: `{{reverse (getvs "/r/*")}}`, want: "[2 1]"},
	{name: "reverse leaves gets untouched as confd", store: tree("/r/a", "1", "/r/bb", "2"),
		text: `{{range reverse (gets "/r/*")}}{{.Key}};{{end}}`, want: "/r/a;/r/bb;"},
	{name: "reverse pairs", store: tree("/r/a", "1", "/r/bb", "2"),
		text: `{{range reverse (sortKVByLength (gets "/r/*"))}}{{.Key}};{{end}}`, want: "/r/bb;/r/a;"},
	{name: "reverse other types", text: `{{reverse 3}} {{reverse (seq 1 2)}}`, want: "3 [1 2]"},
	{name: "sortByLength", text: `{{sortByLength (split "ccc,a,bb" ",")}}`, want: "[a bb ccc]"},
	{name: "sortKVByLength", store: tree("/k/ccc", "3", "/k/a", "1", "/k/bb", "2"),
		text: `{{range sortKVByLength (gets "/k/*")}}{{.Key}};{{end}}`, want: "/k/a;/k/bb;/k/ccc;"},
	{name: "arithmetic", text: `{{add 1 2}} {{sub 1 2}} {{mul 3 4}} {{div 7 2}} {{mod 7 2}} {{div -7 2}} {{mod -7 2}}`, want: "3 -1 12 3 1 -3 -1"},
	{name: "div by zero", text: `{{div 1 0}}`, err: "error calling div: integer divide by zero"},
	{name: "mod by zero", text: `{{mod 1 0}}`, err: "error calling mod: integer divide by zero"},
	{name: "add wrong type", text: `{{add "1" 2}}`, err: `expected integer; found "1"`},
	{name: "seq", text: `{{seq 1 3}} {{seq 2 2}} {{seq 3 1}} {{len (seq 3 1)}}`, want: "[1 2 3] [2] [] 0"},
	{name: "atoi", text: `{{add (atoi "41") 1}} {{atoi "-3"}}`, want: "42 -3"},
	{name: "atoi invalid", text: `{{atoi "4x"}}`, err: "invalid syntax"},
	{name: "lookup invalid names", text: `{{lookupIP ""}} {{lookupIPV4 "bad..name"}} {{lookupIPV6 ""}} {{lookupSRV "x" "tcp" "bad..name"}} {{len (lookupSRV "x" "tcp" "bad..name")}}`,
		want: "[] [] [] [] 0"},
}

func TestFuncs(t *testing.T) {
	t.Setenv("RENDER_T_SET", "v")
	t.Setenv("RENDER_T_EMPTY", "")
	os.Unsetenv("RENDER_T_UNSET")
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := slices.Clone(funcCases)
	for i := range cases {
		cases[i].text = strings.ReplaceAll(cases[i].text, "RENDER_T_FILE", f)
	}
	runCases(t, cases)
}

func TestLookupHelpers(t *testing.T) {
	addrs := []string{"10.0.0.1", "::1", "::ffff:1.2.3.4"}
	if got := containing(addrs, "."); !slices.Equal(got, []string{"10.0.0.1", "::ffff:1.2.3.4"}) {
		t.Errorf("v4 = %v", got)
	}
	if got := containing(addrs, ":"); !slices.Equal(got, []string{"::1", "::ffff:1.2.3.4"}) {
		t.Errorf("v6 = %v", got)
	}
	// confd compares Target+Port+Priority+Weight as one string: "b.80..." < "b.9...".
	srv := []*net.SRV{{Target: "b.", Port: 9}, {Target: "a.", Port: 1}, {Target: "b.", Port: 80}}
	sortSRV(srv)
	var got []string
	for _, r := range srv {
		got = append(got, srvString(r))
	}
	if want := []string{"a.100", "b.8000", "b.900"}; !slices.Equal(got, want) {
		t.Errorf("srv order = %v, want %v", got, want)
	}
	if ips := lookupIP("localhost"); len(ips) == 0 {
		t.Skip("localhost does not resolve here")
	} else if !slices.IsSorted(ips) || !slices.Contains(ips, "127.0.0.1") && !slices.Contains(ips, "::1") {
		t.Errorf("lookupIP(localhost) = %v", ips)
	}
}
