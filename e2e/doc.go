// Package e2e holds confwatch's end-to-end tests against a real systemd: the
// freshly built binary installed in a throwaway box (internal/sdbox) with
// Debian's nginx and etcd, driven through systemctl, etcd and HTTP.
//
//   - systemd_test.go: the agent as contrib/systemd/confwatch.service (issue 4):
//     readiness before nginx, reloads over D-Bus, the check, rollback of a
//     failed reload, the watchdog, and configuration reloads.
//   - lb_test.go: the whole load balancer from `confwatch generate-units`
//     (issue 6): etcd as a unit, three backends with their sidekicks, and
//     nginx_lb, observed through requests to nginx.
//   - fleet_test.go: the fleet flavour on three boxes, placed and loaded the
//     way fleet's engine and agent do (issue 5; fleet itself cannot be
//     installed here).
//
// The tests need root, systemd, nginx-light and etcd-server; without them they
// skip with the reason, unless SDBOX_REQUIRE is set (CI), which makes a skip a
// failure. They are skipped under -short. backend/ is the tiny HTTP server
// the load-balancer test runs as its backends.
package e2e
