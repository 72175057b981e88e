package units

import (
	"slices"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/apply"
)

// FuzzQuoteSplit: apply.Quote makes one shell word of anything, so that
// splitting a command built from quoted words (SplitCommand, a POSIX word
// splitter) gives the words back, and apply.Expand puts {{.src}} and
// {{.dest}} into a check command as exactly one word each. SplitCommand of
// arbitrary text never panics, and its words, quoted and joined, split
// back to the same words.
func FuzzQuoteSplit(f *testing.F) {
	for _, s := range [][3]string{
		{"/etc/nginx/x.conf", "/tmp/.x.conf.confwatch-1", `nginx -t -c "a b"`},
		{"a b", "$(touch /tmp/pwned)", `'it''s' "q\"" \x`},
		{"it's", `"; rm -rf / #`, "a\tb  c"},
		{"", "\n", `"unterminated`},
		{"\x00", "`id`", `trailing\`},
		{"@%+=:,./_-", "é", `"\$HOME" '$HOME' $HOME`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, src, dest, line string) {
		if got, err := SplitCommand(apply.Quote(src) + " " + apply.Quote(dest)); err != nil || !slices.Equal(got, []string{src, dest}) {
			t.Fatalf("Quote(%q) Quote(%q) splits to %q, %v", src, dest, got, err)
		}
		cmd, err := apply.Expand("check {{.src}} -c {{.dest}}", src, dest)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := SplitCommand(cmd); err != nil || !slices.Equal(got, []string{"check", src, "-c", dest}) {
			t.Fatalf("Expand gave %q, splitting to %q, %v", cmd, got, err)
		}
		_ = apply.UsesSrc(line) // parses only: executing an arbitrary template could loop ({{range 1e12}})
		words, err := SplitCommand(line)
		if err != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = apply.Quote(w)
		}
		if again, err := SplitCommand(strings.Join(quoted, " ")); err != nil || !slices.Equal(again, words) && len(words) > 0 {
			t.Fatalf("%q splits to %q; quoted and split again %q, %v", line, words, again, err)
		}
	})
}
