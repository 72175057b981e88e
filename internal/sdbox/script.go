package sdbox

// stage1 runs as PID 1 of the box's new mount, PID, UTS and IPC namespaces, with
// $1 = stage2, $2 = root, $3 = the box's cgroup (host path), $4 = systemd's path. It stops
// mount propagation to the host, moves itself into the box's cgroup and re-executes
// stage2 (still PID 1) in a new cgroup namespace rooted there.
const stage1 = `
mount --make-rprivate /
echo 0 > "$3/cgroup.procs"
exec unshare --cgroup /bin/sh -euc "$1" sdbox "$2" "$4"
`

// stage2 mounts the box's API file systems under $1 and becomes systemd ($2) chrooted
// there. /run is already mounted by the host (see the package doc).
const stage2 = `
r=$1
mount -t tmpfs -o mode=755,nosuid,size=8m sdbox-dev "$r/dev"
for n in null zero full random urandom tty; do
	touch "$r/dev/$n"
	mount --bind "/dev/$n" "$r/dev/$n"
done
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev sdbox-shm "$r/dev/shm"
ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"
ln -s /proc/self/fd/1 "$r/dev/stdout"
ln -s /proc/self/fd/2 "$r/dev/stderr"
mount -t proc proc "$r/proc"
mount --bind "$r/proc/sys" "$r/proc/sys"
mount -o remount,bind,ro "$r/proc/sys"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"
mount -t tmpfs -o mode=1777,nosuid,nodev sdbox-tmp "$r/tmp"
exec chroot "$r" "$2" --system --unit=sdbox.target
`

// masked units would act on the kernel the box shares with the host: sysctls, modules,
// binfmt, clocks, devices (udev), pstore, partitions. Masking a unit that does not exist
// is harmless.
var masked = []string{
	"systemd-sysctl.service", "systemd-modules-load.service", "modprobe@.service",
	"systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount", "proc-sys-fs-binfmt_misc.mount",
	"systemd-repart.service", "systemd-timesyncd.service", "systemd-pstore.service",
	"systemd-udevd.service", "systemd-udev-trigger.service", "systemd-udev-settle.service",
	"systemd-hwdb-update.service", "systemd-random-seed.service", "timers.target",
}

// bootTarget is the unit systemd starts: the bus relay, and nothing else until tests
// start units themselves.
const bootTarget = "[Unit]\nDescription=sdbox\nDefaultDependencies=no\nWants=sdbox-bus.socket\n"

// busSocket and busService relay host connections to systemd's private socket from inside
// the box's PID namespace: systemd rejects peers whose PID it cannot see (a host process
// connecting to /run/systemd/private directly is reset during authentication).
const (
	busSocket = "[Unit]\nDescription=sdbox: systemd's private bus, for the host\nDefaultDependencies=no\n" +
		"[Socket]\nListenStream=/run/sdbox/private\nSocketMode=0600\n"
	busService = "[Unit]\nDescription=sdbox: private bus relay\nDefaultDependencies=no\n" +
		"[Service]\nExecStart=%s /run/systemd/private\nStandardOutput=null\n"
)
