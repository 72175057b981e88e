package state

import "testing"

func TestKey(t *testing.T) {
	if Key("nginx", "/etc/nginx/a.conf") == Key("nginx", "/srv/nginx/a.conf") {
		t.Error("two dests, one key")
	}
	if Key("nginx", "/etc/nginx//./a.conf") != Key("nginx", "/etc/nginx/a.conf") {
		t.Error("the key depends on how dest is spelled")
	}
	if got := legacy(Key("app@blue", "/x")); got != "app@blue" {
		t.Errorf("legacy = %q, want the resource name", got)
	}
	if got := legacy("plain"); got != "" {
		t.Errorf("legacy of a plain name = %q", got)
	}
}
