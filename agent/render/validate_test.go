package render

import (
	"errors"
	"strings"
	"testing"
)

// injection is issue 13 item 6's value: with `server {{.Value}};` it closed
// the upstream and opened a server block that passed nginx -t.
const injection = "1.2.3.4:80; } server { listen 9999; access_log /any/path; } upstream d { server 127.0.0.1:1"

// TestRefusedValueNamesTheKey: a refusal is a render error (so the last good
// file stays) naming the key, whether the template passed the pair, its
// value or a getv result, and never quoting the value.
func TestRefusedValueNamesTheKey(t *testing.T) {
	store := tree("/services/apache/a", "10.0.0.1:80", "/services/apache/x", injection)
	for _, text := range []string{
		`{{range gets "/services/apache/*"}}server {{hostport .Value}};{{end}}`,
		`{{range gets "/services/apache/*"}}server {{hostport .}};{{end}}`,
		`{{range gets "/services/apache/*"}}server {{.Value | hostport}};{{end}}`,
		`{{range getvs "/services/apache/*"}}server {{hostport .}};{{end}}`,
		`server {{getv "/services/apache/x" | mustMatch "[0-9.:]+"}};`,
	} {
		out, err := run(t, store, text)
		var re *Error
		if !errors.Is(err, ErrInvalidValue) || !errors.As(err, &re) || re.Key != "/services/apache/x" {
			t.Errorf("%s: output %q, error %#v; want *Error with Key /services/apache/x", text, out, err)
			continue
		}
		if !strings.Contains(err.Error(), "/services/apache/x") || strings.Contains(err.Error(), "9999") || re.Line != 1 {
			t.Errorf("%s: error %q should name the key, give the line and not quote the value", text, err)
		}
	}
}

func TestMustMatchIsWholeString(t *testing.T) {
	store := tree("/a", "abc", "/b", "ab;c", "/c", "abc", "/d", "ab;c")
	if out, err := run(t, store, `{{mustMatch "[a-z]+" (getv "/a")}}`); err != nil || out != "abc" {
		t.Errorf("got %q, %v", out, err)
	}
	_, err := run(t, store, `{{getv "/b" | mustMatch "[a-z]+|x"}}`)
	if err == nil || !strings.Contains(err.Error(), "the value of /b (and of 1 other keys)") {
		t.Errorf("error %v", err)
	}
	_, err = run(t, store, `{{mustMatch "[a-z]+" "a-b"}}`)
	if err == nil || !strings.Contains(err.Error(), "a value no key holds") {
		t.Errorf("error %v", err)
	}
	if _, err = run(t, store, `{{mustMatch "(" "a"}}`); err == nil || errors.Is(err, ErrInvalidValue) {
		t.Errorf("bad pattern: error %v, want a compile error", err)
	}
}
