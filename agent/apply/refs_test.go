package apply

import "testing"

// TestUsesSrc: the in-place decision reads the parsed template. Before, a
// ".src" anywhere in the text ("-p /x/ng.src") counted as {{.src}}, so the
// check ran against the old live file and a broken candidate went live.
func TestUsesSrc(t *testing.T) {
	tests := map[string]bool{
		"nginx -t -c {{.src}}":               true,
		"nginx -t -c {{ .src }}":             true,
		"check {{$.src}}":                    true,
		"{{if .src}}check {{.dest}}{{end}}":  true,
		"check {{.src | printf \"%s\"}}":     true,
		"nginx -t -p /x/ng.src -c {{.dest}}": false,
		"nginx -t -p /x/ng.src":              false,
		"/usr/sbin/nginx -t":                 false,
		"echo '{{\".src\"}}'":                false,
		"{{/* .src */}} nginx -t":            false,
		"":                                   false,
		"broken {{.src":                      false,
	}
	for cmd, want := range tests {
		if got := UsesSrc(cmd); got != want {
			t.Errorf("UsesSrc(%q) = %v, want %v", cmd, got, want)
		}
	}
}
