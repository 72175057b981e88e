package guard

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	dirs := []string{"/services/apache"}
	tests := []struct {
		name      string
		p         Policy
		prev, cur []int
		want      string
	}{
		{"first render with data", Policy{MaxShrink: .5}, nil, []int{3}, ""},
		{"empty refused", Policy{MaxShrink: .5}, nil, []int{0}, "refused: /services/apache/ empty (allow_empty = false)"},
		{"empty allowed", Policy{AllowEmpty: true, MaxShrink: 1}, []int{4}, []int{0}, ""},
		{"empty allowed beats the shrink guard", Policy{AllowEmpty: true, MaxShrink: .5}, []int{4}, []int{0}, ""},
		{"allow_empty leaves other drops guarded", Policy{AllowEmpty: true, MaxShrink: .5}, []int{4}, []int{1}, "refused: /services/apache/ shrank from 4 to 1 keys (more than max_shrink = 50%)"},
		{"shrink within limit", Policy{MaxShrink: .5}, []int{4}, []int{2}, ""},
		{"shrink beyond limit", Policy{MaxShrink: .5}, []int{10}, []int{4}, "refused: /services/apache/ shrank from 10 to 4 keys (more than max_shrink = 50%)"},
		{"shrink guard off", Policy{MaxShrink: 1}, []int{10}, []int{1}, ""},
		{"growth", Policy{MaxShrink: 0}, []int{1}, []int{5}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.p, dirs, tt.prev, tt.cur)
			got := ""
			if err != nil {
				got = err.Error()
				if !errors.Is(err, ErrRefused) {
					t.Errorf("refusal does not wrap ErrRefused")
				}
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBlank: an empty or whitespace render of a directory with keys is
// refused unless allow_empty. Before, it replaced the good file with 0 bytes.
func TestBlank(t *testing.T) {
	dirs := []string{"/a", "/b"}
	tests := []struct {
		name string
		p    Policy
		cur  []int
		out  string
		want string
	}{
		{"empty with keys", Policy{}, []int{0, 3}, "", "refused: render is empty although /b/ has 3 keys (allow_empty = false)"},
		{"whitespace with keys", Policy{}, []int{2, 0}, " \n\t\n", "refused: render is empty although /a/ has 2 keys (allow_empty = false)"},
		{"allowed", Policy{AllowEmpty: true}, []int{2, 3}, "", ""},
		{"no keys", Policy{}, []int{0, 0}, "", ""},
		{"output", Policy{}, []int{2, 3}, "x", ""},
	}
	for _, tt := range tests {
		err := Blank(tt.p, dirs, tt.cur, []byte(tt.out))
		got := ""
		if err != nil {
			got = err.Error()
			if !errors.Is(err, ErrRefused) {
				t.Errorf("%s: does not wrap ErrRefused", tt.name)
			}
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
