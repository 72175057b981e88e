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
// When the group reloads or checks in place, the current destinations are
// kept on disk beside them before the swap, until the reload has succeeded,
// so that a kill at any point leaves something to return to. Their name says
// what dest holds: ".NAME.confwatch-prev" while any file of the group is
// changing, being checked in place (a check without {{.src}}, `nginx -t`
// style, runs after the swap) or rolled back, and ".NAME.confwatch-held"
// once the whole set has passed every check and only its reload is
// unconfirmed. At the next start Recover puts a group with any "-prev" file
// back whole, and leaves a "-held" group in place for its next apply, which
// applies it again as it stands (check, reload) or rolls back to the held
// files if that fails (Unsettled items): a restart never steps a
// destination back to an older state, and no reload is lost. With several
// files the relabel from "-prev" to "-held" is one rename each, so a commit
// marker (".NAME.confwatch-commit", one rename, listing them with the
// digests of each kept file and dest) goes first, and Recover reads them as
// "-held" when it matches the group exactly (commit.go). Recover also
// sweeps staged files a crash left behind.
//
// A symlinked destination is written through: its target is replaced in its
// own directory and the link stays. A destination that is not a regular file
// (a FIFO, a device) is refused without being opened for a blocking read.
//
// Files whose bytes, mode and owner already match are not touched.
package apply
