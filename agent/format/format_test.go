package format

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, format, data string
		line               int    // 0: valid
		msg                string // part of the message when invalid
	}{
		{"none accepts anything", "", "{not json", 0, ""},
		{"json object", "json", "{\n  \"a\": [1, 2],\n  \"b\": null\n}\n", 0, ""},
		{"json trailing comma", "json", "{\n  \"a\": 1,\n}\n", 3, "invalid character '}'"},
		{"json two values", "json", "{}\n{}\n", 2, "after top-level value"},
		{"json empty", "json", "\n", 1, "empty document"},
		{"yaml mapping", "yaml", "a: 1\nb:\n  - x\n  - y\n", 0, ""},
		{"yaml bad indent", "yaml", "a: 1\nb:\n  - x\n - y\n", 3, "did not find expected key"}, // the parser's line
		{"yaml tab", "yaml", "a:\n\tb: 1\n", 2, "cannot start any token"},
		{"toml table", "toml", "[server]\nport = 80\nhosts = [\"a\", \"b\"]\n", 0, ""},
		{"toml duplicate key", "toml", "a = 1\nb = 2\na = 3\n", 3, "already been defined"},
		{"toml unquoted string", "toml", "[s]\nname = web-1\n", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.format, []byte(tc.data))
			if tc.line == 0 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Check = %v, want a *format.Error", err)
			}
			if fe.Line != tc.line || fe.Format != tc.format {
				t.Errorf("line %d format %s, want line %d format %s (%v)", fe.Line, fe.Format, tc.line, tc.format, err)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Check("xml", nil); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Check(xml) = %v, want ErrUnknown", err)
	}
	if Known("xml") || !Known("") || !Known("yaml") {
		t.Fatal("Known is wrong")
	}
}

// TestTOMLErrorQuotesNoInput: the parser quotes the bad input in its
// message; what is reported keeps line and column and drops the quote (it
// holds etcd values).
func TestTOMLErrorQuotesNoInput(t *testing.T) {
	err := Check("toml", []byte("ok = 1\nbad = hunterSECRETvalue\n"))
	var fe *Error
	if !errors.As(err, &fe) || fe.Line != 2 {
		t.Fatalf("err %v: want a *format.Error at line 2", err)
	}
	if msg := err.Error(); strings.Contains(msg, "hunter") || !strings.Contains(msg, "column ") {
		t.Fatalf("message %q: want a column and no input", msg)
	}
}
