package render

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/kv"
)

// fuzzMaxOutput bounds each render of FuzzRender (a resource's max_output).
const fuzzMaxOutput = 256 << 10

// fuzzMaxAlloc bounds what one render may allocate: seq's MaxSeq ints
// (the one bound not tied to max_output), what text/template allocates
// while writing up to fuzzMaxOutput, and slack; repeat is bounded by
// max_output too.
const fuzzMaxAlloc = 64 << 20

// hostileTemplates feed etcd values to every function a value can steer,
// one template each so that one failing does not hide the others.
var hostileTemplates = []string{
	`{{range gets "/*"}}{{.Key}}={{.Value}} {{base .Key}} {{dir .Key}}{{end}}{{range ls "/"}}{{.}} {{end}}{{range lsdir "/"}}{{.}} {{end}}`,
	`{{$n := atoi (getv "/n" "0")}}{{range seq 1 $n}}{{.}},{{end}}`,
	`{{$n := atoi (getv "/n" "0")}}{{repeat $n (getv "/s" "ab")}} {{mod 7 $n}} {{div 7 $n}} {{mul $n $n}} {{add $n 1}} {{sub $n 1}}`,
	`{{$j := json (getv "/json" "null")}}{{$j}} {{range $k, $v := $j}}{{$k}}={{$v}}{{end}}`,
	`{{jsonArray (getv "/json" "null")}}`,
	`{{$v := fromJson (getv "/json" "null")}}{{toJson $v}} {{toPrettyJson $v}} {{empty $v}} {{default "d" $v}}`,
	`{{$v := getv "/b64" ""}}{{base64Decode $v}} {{base64Encode $v}} {{sha256sum $v}}`,
	`{{$v := getv "/hp" "a:1"}}{{hostport $v}} {{mustMatch "[a-z0-9.:-]+" $v}}`,
	`{{range gets "/*"}}{{hostport .}}{{end}}`,
	`{{$v := getv "/re" "x"}}{{regexMatch $v "abc"}} {{regexFind $v "abc"}} {{regexReplaceAll $v "abc" "$1"}}`,
	`{{$v := getv "/s" ""}}{{$p := split $v ":"}}{{index $p 0}} {{len $p}} {{join $p ","}} {{toUpper $v}} {{nospace $v}} {{indent 2 $v}} {{quote $v}} {{squote $v}} {{replace $v "a" "b" -1}} {{trimSuffix $v "x"}} {{contains $v "a"}}`,
	`{{parseBool (getv "/s" "")}}`,
	`{{range sortByLength (getvs "/*")}}{{.}} {{end}}{{range reverse (sortKVByLength (gets "/*"))}}{{.Key}} {{end}}`,
	`{{$m := fromJson (getv "/m" "{}")}}{{if eq (printf "%T" $m) "map[string]interface {}"}}{{keys $m}} {{values $m}} {{hasKey $m "a"}}{{end}}`,
	`{{range getvs "/*"}}{{if exists .}}{{get .}} {{getv .}}{{end}} {{gets .}} {{getvs .}} {{ls .}} {{lsdir .}}{{end}}`,
	`{{$v := getv "/s" ""}}{{include $v}}`,
}

// FuzzRender renders the golden templates and hostileTemplates from arbitrary
// keys and values: never a panic, never more output than max_output, an
// error is always an *Error with nothing written, and one render allocates
// a bounded amount.
func FuzzRender(f *testing.F) {
	var tmpls []*Template
	for _, p := range []string{"nginx.tmpl", "confd.tmpl"} {
		tm, err := ParseFile(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		tmpls = append(tmpls, tm)
	}
	for i, text := range hostileTemplates {
		tm, err := Parse(fmt.Sprintf("hostile%d.tmpl", i), []byte(text))
		if err != nil {
			f.Fatal(err)
		}
		tmpls = append(tmpls, tm)
	}
	f.Add("/n\t3\n/json\t{\"a\":[1,2]}\n/b64\tYWJj\n/hp\t[::1]:80\n/re\t(b)\n/s\ta:b\n/m\t{\"a\":1}")
	f.Add("/n\t3000000000\n/json\t[\n/b64\t%%%\n/hp\t1.2.3.4:80; }\n/re\t(\n/s\t\n/m\t[1]")
	f.Add("/n\t-9223372036854775808\n/services/apache/a\t1.1.1.1:1\n/count\t1048576\n/key\tabc")
	f.Add("/n\t1048575\n/count\t99999999999999999999\n/test/data\t{\"animals\":[]}\n/deis/service\tnocolon")
	f.Add("//\tx\n/a/../b\ty\n/./c\tz\n/\troot\n/a/\ttrail\n/*\tstar\n/[\tbracket")
	f.Fuzz(func(t *testing.T, data string) {
		store := kv.NewTree()
		for _, line := range strings.Split(data, "\n") {
			k, v, _ := strings.Cut(line, "\t")
			store.Put(k, strings.ReplaceAll(v, `\n`, "\n"))
		}
		for _, tm := range tmpls {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := tm.ExecuteMax(store, fuzzMaxOutput)
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > fuzzMaxAlloc {
				t.Errorf("%s: one render allocated %d bytes", tm.Path(), n)
			}
			if len(out) > fuzzMaxOutput {
				t.Errorf("%s: %d bytes of output past max_output", tm.Path(), len(out))
			}
			var re *Error
			if err != nil && (out != nil || !errors.As(err, &re)) {
				t.Errorf("%s: error %v (%T) with %d bytes of output", tm.Path(), err, err, len(out))
			}
		}
	})
}
