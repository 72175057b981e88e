package diag

import (
	"testing"

	"github.com/BurntSushi/toml"
)

// TestKeyPosition: a key's line and column however TOML lets it be
// written: under a header with a comment after it or a quoted name, as a
// dotted key at the top level, quoted; a key of another table or absent
// has none.
func TestKeyPosition(t *testing.T) {
	for _, tt := range []struct {
		name, data string
		key        toml.Key
		line, col  int
	}{
		{"plain", "[template]\nsrc = \"t\"\nmode = \"0\"\n", toml.Key{"template", "mode"}, 3, 1},
		{"comment after the header", "[template] # the site\nmode = \"0\"\n", toml.Key{"template", "mode"}, 2, 1},
		{"quoted table", "[ \"template\" ]\n  mode = \"0\"\n", toml.Key{"template", "mode"}, 2, 3},
		{"dotted at the top", "template.src = \"t\"\ntemplate . mode = \"0\"\n", toml.Key{"template", "mode"}, 2, 1},
		{"quoted key", "[template]\n\"mode\" = \"0\"\n", toml.Key{"template", "mode"}, 2, 1},
		{"the header itself", "a = 1\n[template]\n", toml.Key{"template"}, 2, 1},
		{"another table", "[other]\nmode = \"0\"\n", toml.Key{"template", "mode"}, 0, 0},
		{"absent", "[template]\nsrc = \"t\"\n", toml.Key{"template", "mode"}, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if l, c := KeyPosition([]byte(tt.data), tt.key); l != tt.line || c != tt.col {
				t.Errorf("KeyPosition = %d:%d, want %d:%d", l, c, tt.line, tt.col)
			}
		})
	}
}
