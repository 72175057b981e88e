// Package apply puts rendered files in place as one checked, atomic,
// reversible transaction per reload action:
//
//  1. stage each changed file in its destination's directory and run its
//     check_cmd on the staged copy ({{.src}}), with a timeout; any failure
//     leaves every destination untouched;
//  2. keep the current destinations as backups and swap the staged files in
//     (write, fsync, rename, fsync directory; in place when the destination
//     is a bind-mounted file);
//  3. run the group's reload once;
//  4. when the reload fails, restore the backups, reload again, and report
//     the group failed.
//
// Before the swap, the current destinations are kept on disk beside them
// (".NAME.confwatch-prev", or "-held" once every check has passed) until the
// reload has succeeded, so a kill at any point leaves something to return
// to. A check without {{.src}} (check_in_place, `nginx -t` style) runs after
// the swap; while it runs the whole group is kept as unchecked, and Recover,
// at the next start, puts the whole group back. After the checks, a kill
// before the reload is confirmed leaves checked files: Recover keeps them,
// and the group's next apply includes them (Interrupted) and reloads, or
// rolls back to the kept files if that fails, so a restart never steps a
// destination back to an older state. Recover also sweeps staged files a
// crash left behind.
//
// A symlinked destination is written through: its target is replaced in its
// own directory and the link stays. A destination that is not a regular file
// (a FIFO, a device) is refused without being opened for a blocking read.
//
// Files whose bytes, mode and owner already match are not touched.
package apply
