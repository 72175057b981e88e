package diag

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// DecodeTOML decodes the TOML file at path into v. Syntax and type errors come
// back as one Problem with line and column. Keys v does not declare are
// reported one Problem each ("unknown key"), unless known(key) says the key is
// tolerated, in which case the caller gets it back in tolerated to warn about.
func DecodeTOML(path string, v any, known func(toml.Key) bool) (tolerated []toml.Key, problems List, err error) {
	data, err := atomicfile.ReadRegular(path)
	if err != nil {
		return nil, nil, err // it says "read PATH: ..." (or open) already
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // positions as the decoder, which skips a BOM, counts them
	md, err := toml.Decode(string(data), v)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, List{{File: path, Line: pe.Position.Line, Col: pe.Position.Col, Msg: pe.Message, Code: CodeSyntax}}, nil
		}
		p := typeProblem(path, data, err)
		p.Code = CodeSyntax
		return nil, List{p}, nil
	}
	for _, k := range md.Undecoded() {
		if known != nil && known(k) {
			tolerated = append(tolerated, k)
			continue
		}
		line, col := KeyPosition(data, k)
		problems = append(problems, Problem{File: path, Line: line, Col: col, Msg: fmt.Sprintf("unknown key %q", k.String()), Code: CodeUnknownKey})
	}
	return tolerated, problems, nil
}

// KeyPosition finds the line and column where key k is set in TOML text, by
// tracking [table] headers. It returns 0, 0 when the key cannot be found
// (inline tables, dotted keys).
func KeyPosition(data []byte, k toml.Key) (int, int) {
	if len(k) == 0 {
		return 0, 0
	}
	table, name := strings.Join(k[:len(k)-1], "."), k[len(k)-1]
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			cur = dotted(strings.TrimLeft(t, "["), "]")
			if cur == strings.Join(k, ".") {
				return n, strings.Index(line, "[") + 1
			}
			continue
		}
		key, _, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		full := dotted(key, "")
		if cur != "" {
			full = cur + "." + full
		}
		if full == strings.Join(k, ".") || cur == table && full == table+"."+name {
			return n, strings.Index(line, t) + 1
		}
	}
	return 0, 0
}

// dotted normalizes a TOML key or table name up to end (all of s when end
// is ""): parts split at dots, spaces and quotes around each removed, so
// [ "template" ] # note and template . src both read as in toml.Key.
func dotted(s, end string) string {
	if end != "" {
		s, _, _ = strings.Cut(s, end)
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// typeErr matches the shape of BurntSushi/toml's decode (type) errors, which
// carry no structured position: `toml: line 3 (last key "a.b"): message`.
var typeErr = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

func typeProblem(path string, data []byte, err error) Problem {
	m := typeErr.FindStringSubmatch(err.Error())
	if m == nil {
		return Problem{File: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	col := 0
	if l, c := KeyPosition(data, toml.Key(strings.Split(m[2], "."))); l > 0 {
		line, col = l, c
	}
	return Problem{File: path, Line: line, Col: col, Msg: fmt.Sprintf("key %q: %s", m[2], m[3])}
}
