package render

import (
	"strings"
	"testing"
)

var extraCases = []fnCase{
	{name: "hostname", text: `{{if hostname}}ok{{end}}`, want: "ok"},
	{name: "default", text: `{{default "d" ""}} {{default "d" "v"}} {{default 5 0}} {{default "d" (getv "/x" "")}}`, want: "d v 5 d"},
	{name: "ternary", text: `{{ternary "y" "n" true}}{{ternary "y" "n" false}}{{true | ternary "a" "b"}}`, want: "yna"},
	{name: "coalesce", text: `{{coalesce "" 0 "x" "y"}} {{coalesce "" 0}}`, want: "x <no value>"},
	{name: "empty", text: `{{empty ""}} {{empty "a"}} {{empty list}} {{empty 0}} {{empty (map)}}`, want: "true false true true true"},
	{name: "toJson", text: `{{toJson (map "b" 1 "a" (list "x" 2))}}`, want: `{"a":["x",2],"b":1}`},
	{name: "fromJson", text: `{{fromJson "[1,\"a\"]"}} {{fromJson "\"s\""}}`, want: "[1 a] s"},
	{name: "fromJson invalid", text: `{{fromJson "["}}`, err: "unexpected end of JSON input"},
	{name: "toPrettyJson", text: `{{toPrettyJson (dict "a" 1)}}`, want: "{\n  \"a\": 1\n}"},
	{name: "indent nindent", text: `{{indent 2 "a\nb"}}|{{nindent 1 "c"}}|{{indent 3 ""}}`, want: "  a\n  b|\n c|"},
	{name: "quote squote", text: `{{quote "a\"b"}} {{squote "c"}}`, want: `"a\"b" 'c'`},
	{name: "regexMatch", text: `{{regexMatch "^prod" "production"}} {{regexMatch "^prod" "dev"}}`, want: "true false"},
	{name: "regexMatch invalid", text: `{{regexMatch "(" "x"}}`, err: "missing closing )"},
	{name: "regexFind", text: `{{regexFind "[0-9]+\\.[0-9]+" "v1.23.4"}}[{{regexFind "z" "a"}}]`, want: "1.23[]"},
	{name: "regexReplaceAll", text: `{{regexReplaceAll "[^a-z0-9]" "My-App 1" "_"}} {{regexReplaceAll "(a)(b)" "ab" "$2$1"}}`, want: "_y__pp_1 ba"},
	{name: "trimPrefix", text: `{{trimPrefix "service-web" "service-"}}`, want: "web"},
	{name: "repeat", text: `{{repeat 3 "-"}}`, want: "---"},
	{name: "nospace", text: `{{nospace " a b\tc\n"}}`, want: "abc"},
	{name: "dict list append", text: `{{$l := list 1 "b"}}{{$l = append $l 3}}{{$l}} {{index (dict "k" "v") "k"}}`, want: "[1 b 3] v"},
	{name: "hasKey keys values", text: `{{$m := fromJson "{\"b\":2,\"a\":1}"}}{{hasKey $m "a"}} {{hasKey $m "z"}} {{keys $m}} {{values $m}}`, want: "true false [a b] [1 2]"},
	{name: "include", store: tree("/a", "1"), text: `{{include "testdata/include/part.tmpl"}}|{{include "testdata/include/part.tmpl" "x"}}`, want: "part 1|part 1 dot=x"},
	{name: "hostport", store: tree("/s/a", "10.0.0.1:80", "/s/b", "[::1]:81"), text: `{{range gets "/s/*"}}{{hostport .Value}} {{hostport .}} {{end}}`, want: "10.0.0.1:80 10.0.0.1:80 [::1]:81 [::1]:81 "},
	{name: "hostport refused", store: tree("/s/a", "1.2.3.4:80;"), text: `{{hostport (getv "/s/a")}}`, err: "error calling hostport: invalid value: the value of /s/a: byte ';' at offset 10"},
	{name: "mustMatch", store: tree("/n", "web-1"), text: `{{mustMatch "[a-z0-9-]+" (getv "/n")}} {{getv "/n" | mustMatch "web-[0-9]"}}`, want: "web-1 web-1"},
	{name: "mustMatch refused", store: tree("/n", "web 1"), text: `{{mustMatch "[a-z0-9-]+" (getv "/n")}}`, err: `the value of /n: does not match "[a-z0-9-]+" as a whole`},
	{name: "sha256sum", text: `{{sha256sum "abc"}}`, want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
}

func TestExtraFuncs(t *testing.T) { runCases(t, extraCases) }

// TestEveryFunctionTested fails when a function has no row in the tables.
func TestEveryFunctionTested(t *testing.T) {
	var all strings.Builder
	for _, cases := range [][]fnCase{storeCases, funcCases, extraCases} {
		for _, c := range cases {
			all.WriteString(c.text + " ")
		}
	}
	text := all.String()
	for _, name := range FuncNames() {
		if !strings.Contains(text, "{{"+name+" ") && !strings.Contains(text, "("+name) &&
			!strings.Contains(text, " "+name+" ") && !strings.Contains(text, name+"}}") &&
			!strings.Contains(text, " "+name+".") {
			t.Errorf("function %q is not exercised by any table row", name)
		}
	}
}

func TestFuncNames(t *testing.T) {
	names := FuncNames()
	want := strings.Fields(`add atoi base base64Decode base64Encode contains datetime dir div exists
		fileExists get getenv gets getv getvs join json jsonArray lookupIP lookupIPV4 lookupIPV6
		lookupSRV ls lsdir map mod mul parseBool replace reverse seq sortByLength sortKVByLength
		split sub toLower toUpper trimSuffix`)
	have := map[string]bool{}
	for i, n := range names {
		have[n] = true
		if i > 0 && names[i-1] >= n {
			t.Errorf("FuncNames not sorted at %q", n)
		}
	}
	for _, n := range want {
		if !have[n] {
			t.Errorf("confd function %q missing", n)
		}
	}
	if m := Funcs(nil); len(m) != len(names) {
		t.Errorf("Funcs has %d entries, FuncNames %d", len(m), len(names))
	}
}
