package units

import (
	"fmt"
	"strings"
)

// SplitCommand splits a command line into arguments the way a POSIX shell
// splits words, without expansions: blanks separate arguments, '...'
// quotes literally, "..." quotes with \" \\ \$ \` escapes, and a backslash
// outside quotes escapes the next character. It is for --backend-exec.
func SplitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("split command %q: trailing backslash", s)
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("split command %q: unterminated %c quote", s, quote)
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
