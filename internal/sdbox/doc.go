// Package sdbox boots a real, throwaway systemd for tests, on machines whose PID 1 is not
// systemd (CI, containers) as well as on systemd hosts. Root only; Start skips the test
// with the reason when the box cannot be built (set SDBOX_REQUIRE=1 to fail instead, as CI
// should).
//
// Layout (../../../shared/reference/real-systemd-in-tests.md, hardened): a tmpfs holds the
// upper layer of an overlay of the host's / at Root(), so everything the box writes lands
// in memory and the host's files are never touched. systemd runs as PID 1 of new mount,
// PID, UTS, IPC and cgroup namespaces, chrooted into Root(), with a unit target that pulls
// in nothing (sdbox.target) and the units that act on the shared kernel masked. Unlike the
// shell recipe, the box gets its own /dev (a tmpfs with null, zero, full, random, urandom,
// tty and a private devpts), a read-only /sys and /proc/sys, and its own cgroup subtree
// (a child of the host's cgroup2 root, mounted as the box's /sys/fs/cgroup), so its
// journald, tmpfiles and cgroups cannot leak into the host's /dev or cgroup tree.
// By default the network namespace is shared: services in the box listen on the host's
// loopback (two boxes must not both bind the same port). StartWith's Options.NetNS boots
// the box in a named network namespace instead (made by the caller with `ip netns add`,
// e.g. internal/netlab): systemd is started through `nsenter --net` (still PID 1), so the
// box's services and Run's commands see only that namespace's network.
//
// Talking D-Bus to the box: the box's /run is a tmpfs that the host mounts at Root()/run
// before the box's namespaces are created, so the box's mount namespace inherits the same
// tmpfs and sockets created there are reachable from the host. systemd's own private
// socket is not enough: systemd resets connections from peers whose PID is invisible in
// its PID namespace (any host process). So the box runs a relay, sdbox-bus.socket with
// systemd-socket-proxyd, listening at /run/sdbox/private and connecting, from inside the
// box, to /run/systemd/private. PrivateBusPath() is the relay's host path; speak to it as
// to the private socket (EXTERNAL auth as root, no Hello: go-systemd's dbus.NewConnection
// with a custom dialer, as agent/systemd's WithPrivateSocket does). Alternatively start
// dbus.socket in the box and use Root()/run/dbus/system_bus_socket: dbus-daemon accepts
// host peers. Commands run inside with Run (nsenter), where /run/systemd/private works.
//
// Teardown, registered with t.Cleanup (and available as Close): SIGKILL systemd, which
// takes every process of the PID namespace with it; remove the box's cgroups; detach
// Root()/run, Root() and the tmpfs; remove the directory. Nothing is left on the host
// unless the test binary itself is killed (SIGKILL or a -timeout panic skips cleanups):
// systemd then still dies (parent-death signal), but the mounts under
// $TMPDIR/sdbox-* and /sys/fs/cgroup/.../sdbox-* remain until unmounted by hand.
package sdbox
