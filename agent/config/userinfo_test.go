package config

import (
	"strings"
	"testing"
)

// A user:password in an endpoint URL becomes the credentials and leaves the
// endpoint, so no error or log that names the endpoints can echo it.
func TestEndpointUserinfoIsMasked(t *testing.T) {
	for _, tt := range []struct {
		name, user, pass string
		eps              []string
		wantEps          string
		wantUser         string
		wantPass         string
	}{
		{"moved", "", "", []string{"http://root:hunter2@10.0.0.1:2379", "10.0.0.2:2379"}, "http://10.0.0.1:2379,http://10.0.0.2:2379", "root", "hunter2"},
		{"configured user wins", "app", "pw", []string{"https://root:hunter2@e:2379"}, "https://e:2379", "app", "pw"},
		{"user only", "", "", []string{"http://root@e:2379"}, "http://e:2379", "root", ""},
		{"none", "", "", []string{"http://e:2379"}, "http://e:2379", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Etcd.Endpoints, c.Etcd.Username, c.Etcd.Password = tt.eps, tt.user, tt.pass
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(c.Etcd.Endpoints, ","); got != tt.wantEps {
				t.Errorf("endpoints %q, want %q", got, tt.wantEps)
			}
			if c.Etcd.Username != tt.wantUser || c.Etcd.Password != tt.wantPass {
				t.Errorf("credentials %q %q, want %q %q", c.Etcd.Username, c.Etcd.Password, tt.wantUser, tt.wantPass)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"dial http://root:hunter2@e:2379: refused": "dial http://***@e:2379: refused",
		"http://a:b@x:1,https://c@y:2":             "http://***@x:1,https://***@y:2",
		"no url here: user@host":                   "no url here: user@host",
		"http://e:2379 and mail me@x":              "http://e:2379 and mail me@x",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
