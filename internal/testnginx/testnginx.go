// Package testnginx finds the real nginx (Debian's nginx-light) for tests
// that run `nginx -t` or serve through it.
package testnginx

import (
	"os"
	"testing"
)

// Bin returns the path of nginx. Without one the test is skipped, or fails
// where nothing may be skipped: in CI (.ci/run installs nginx-light and sets
// SDBOX_REQUIRE) or wherever CI is set.
func Bin(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SDBOX_REQUIRE") != "" || os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed, and this run may not skip (.ci/run installs nginx-light)")
	}
	t.Skip("nginx not installed (apt-get install nginx-light)")
	return ""
}
