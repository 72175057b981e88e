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

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"", 64 << 20, false},
		{"64MiB", 64 << 20, false},
		{"512 KiB", 512 << 10, false},
		{"1GiB", 1 << 30, false},
		{"1000", 1000, false},
		{"0", 0, true},
		{"-1MiB", 0, true},
		{"10MB", 0, true},
		{"99999999GiB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseSize(%q) = %d, %v; want %d (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}
