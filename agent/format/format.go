// Package format checks that a render parses as the data format a resource
// declares (output_format = "json", "yaml" or "toml"), so that a template
// producing a broken document is refused before any check or swap.
package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	yaml "go.yaml.in/yaml/v2"
)

// Names are the formats Check knows, as output_format spells them.
var Names = []string{"json", "yaml", "toml"}

// ErrUnknown is returned for an output_format Check does not know.
var ErrUnknown = errors.New("unknown output_format")

// Error is a render that does not parse as its format.
type Error struct {
	Format string
	Line   int // 1-based; 0 when the parser gave none
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("output is not valid %s: line %d: %s", e.Format, e.Line, e.Msg)
	}
	return fmt.Sprintf("output is not valid %s: %s", e.Format, e.Msg)
}

// Known reports whether name is a format Check knows ("" is none).
func Known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return name == ""
}

// Check parses data as format; "" accepts anything. A parse failure is an
// *Error with the parser's line.
func Check(format string, data []byte) error {
	switch format {
	case "":
		return nil
	case "json":
		return checkJSON(data)
	case "yaml":
		return checkYAML(data)
	case "toml":
		return checkTOML(data)
	}
	return fmt.Errorf("%w %q (want %s)", ErrUnknown, format, strings.Join(Names, ", "))
}

func checkJSON(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &Error{Format: "json", Line: 1, Msg: "empty document"}
	}
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	e := &Error{Format: "json", Msg: err.Error()}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		e.Line = lineAt(data, se.Offset)
	case errors.As(err, &te):
		e.Line = lineAt(data, te.Offset)
	}
	return e
}

// lineAt is the line holding byte offset off (the parser's offset is just
// past the bad byte).
func lineAt(data []byte, off int64) int {
	off = max(0, min(off-1, int64(len(data))))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func checkYAML(data []byte) error {
	var v any
	err := yaml.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	e := &Error{Format: "yaml", Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	// yaml.v2 says "line N: message" (1-based).
	if rest, ok := strings.CutPrefix(e.Msg, "line "); ok {
		var n int
		if _, serr := fmt.Sscanf(rest, "%d:", &n); serr == nil && n > 0 {
			e.Line = n
			_, e.Msg, _ = strings.Cut(rest, ": ")
		}
	}
	return e
}

func checkTOML(data []byte) error {
	var v map[string]any
	_, err := toml.Decode(string(data), &v)
	if err == nil {
		return nil
	}
	e := &Error{Format: "toml", Msg: redactQuoted(err.Error())}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e.Line, e.Msg = pe.Position.Line, redactQuoted(pe.Message)
		if pe.Position.Col > 0 {
			e.Msg = fmt.Sprintf("column %d: %s", pe.Position.Col, e.Msg)
		}
	}
	return e
}

// quoted is a double-quoted stretch of a parser's message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactQuoted drops what a parser quotes from the input: the rendered
// output holds etcd values, which are never logged above debug level. The
// line and column still say where.
func redactQuoted(msg string) string { return quoted.ReplaceAllString(msg, `"…"`) }
