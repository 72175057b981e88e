package resource

import "testing"

// TestInPlaceCheckFromTheTemplate: "ng.src" in a path is not {{.src}}; the
// check must run with the candidate in place. Before, it ran against the old
// live file.
func TestInPlaceCheckFromTheTemplate(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		cmd   string
		force *bool
		want  bool
	}{
		{"nginx -t -p /x/ng.src -c {{.dest}}", nil, true},
		{"/usr/sbin/nginx -t", nil, true},
		{"nginx -t -c {{.src}}", nil, false},
		{"", nil, false},
		{"nginx -t -c {{.src}}", &yes, true},
		{"/usr/sbin/nginx -t", &no, false},
	}
	for _, tt := range tests {
		r := &Resource{Spec: Spec{CheckCmd: tt.cmd, CheckInPlace: tt.force}}
		if got := r.InPlaceCheck(); got != tt.want {
			t.Errorf("InPlaceCheck(%q, %v) = %v, want %v", tt.cmd, tt.force, got, tt.want)
		}
	}
}
