package render

import (
	"strings"
	"testing"
)

// TestHostileCountsAreRenderErrors: counts from etcd values cannot exhaust
// memory. Before, seq 1 3000000000 and a huge repeat were unrecoverable
// out-of-memory crashes of the agent.
func TestHostileCountsAreRenderErrors(t *testing.T) {
	store := tree("/p/n", "3000000000", "/p/neg", "-1", "/p/max", "9223372036854775807")
	tests := []struct{ text, want string }{
		{`{{range seq 1 (atoi (getv "/p/n"))}}x{{end}}`, "more than 1048576 elements"},
		{`{{range seq (atoi (getv "/p/max")) (atoi (getv "/p/max"))}}{{.}}{{end}}`, ""},
		{`{{range seq (atoi (getv "/p/neg")) (atoi (getv "/p/max"))}}x{{end}}`, "more than 1048576 elements"},
		{`{{repeat (atoi (getv "/p/n")) "abc"}}`, "more than 64MiB"},
		{`{{repeat (atoi (getv "/p/neg")) "abc"}}`, "negative count"},
		{`{{len (seq 1 1048576)}}`, ""},
	}
	for _, tt := range tests {
		_, err := run(t, store, tt.text)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.text, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.text, err, tt.want)
		}
	}
}
