package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/kv"
)

// MaxTxnOps is the most reads Read puts in one transaction: etcd's default
// --max-txn-ops. A server with a lower limit is met by halving the chunk.
const MaxTxnOps = 128

// betweenTxns runs between two transactions of one Read (a test hook).
var betweenTxns = func() {}

// Read reads every directory at one revision. The first transaction (at most
// MaxTxnOps directories) fixes the revision; later ones read at that
// revision, so all directories show the same state. When that revision is
// compacted before the last transaction, Read starts again at a new one. A
// directory the user may not read does not fail the read: it is empty, and
// Snapshot.Err says why (the revision is 0 when no directory was readable). The
// error wraps ErrUnreachable when ctx ended before etcd answered; any other
// error is etcd's answer (a refusal, not an outage).
func Read(ctx context.Context, cli *clientv3.Client, dirs []string) (*Snapshot, error) {
	for {
		snap, err := readChunks(ctx, cli, dirs, 0)
		if errors.Is(err, rpctypes.ErrCompacted) && ctx.Err() == nil {
			continue // the revision went away between transactions: read anew
		}
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("%w: read %s: %w", ErrUnreachable, dirList(dirs), err)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dirList(dirs), err)
		}
		return snap, nil
	}
}

// ReadAt reads every directory as it was at revision rev, as Read does.
// The error wraps rpctypes.ErrCompacted when etcd no longer has rev.
func ReadAt(ctx context.Context, cli *clientv3.Client, dirs []string, rev int64) (*Snapshot, error) {
	snap, err := readChunks(ctx, cli, dirs, rev)
	if err != nil {
		return nil, fmt.Errorf("read %s at revision %d: %w", dirList(dirs), rev, err)
	}
	return snap, nil
}

// readChunks reads dirs in transactions of at most MaxTxnOps, all at the revision
// of the first.
func readChunks(ctx context.Context, cli *clientv3.Client, dirs []string, rev int64) (*Snapshot, error) {
	snap := &Snapshot{Revision: rev, Dirs: make(map[string][]Entry, len(dirs))}
	size := MaxTxnOps
	for i := 0; ; {
		n := min(size, len(dirs)-i)
		resp, err := txn(ctx, cli, dirs[i:i+n], snap.Revision)
		if errors.Is(err, rpctypes.ErrTooManyOps) && n > 1 {
			size = n / 2 // the server allows fewer: retry this chunk smaller
			continue
		}
		if errors.Is(err, rpctypes.ErrPermissionDenied) {
			err = readEach(ctx, cli, dirs[i:i+n], snap) // find which are forbidden
		} else if err == nil {
			snap.add(dirs[i:i+n], resp)
		}
		if err != nil {
			return nil, err
		}
		if i += n; i >= len(dirs) {
			return snap, nil
		}
		betweenTxns()
	}
}

// readEach reads dirs one by one into snap, recording each forbidden one in
// snap.Errs with the directory and the user named.
func readEach(ctx context.Context, cli *clientv3.Client, dirs []string, snap *Snapshot) error {
	for _, d := range dirs {
		resp, err := txn(ctx, cli, []string{d}, snap.Revision)
		if errors.Is(err, rpctypes.ErrPermissionDenied) {
			if snap.Errs == nil {
				snap.Errs = map[string]error{}
			}
			snap.Errs[d] = fmt.Errorf("read %s %s: %w", d, who(cli), err)
			snap.Dirs[d] = nil
			continue
		}
		if err != nil {
			return err
		}
		snap.add([]string{d}, resp)
	}
	return nil
}

// who names the etcd user of cli for an error message.
func who(cli *clientv3.Client) string {
	if cli.Username == "" {
		return "with no etcd user name (a client certificate's common name is the user)"
	}
	return fmt.Sprintf("as etcd user %q", cli.Username)
}

// add records the directories read by one transaction; the first fixes the
// snapshot's revision.
func (s *Snapshot) add(dirs []string, resp *clientv3.TxnResponse) {
	if s.Revision == 0 {
		s.Revision = resp.Header.Revision
	}
	for j, r := range resp.Responses {
		s.Dirs[dirs[j]] = entries(dirs[j], r.GetResponseRange())
	}
}

// txn reads dirs in one transaction, at rev unless rev is 0.
func txn(ctx context.Context, cli *clientv3.Client, dirs []string, rev int64) (*clientv3.TxnResponse, error) {
	ops := make([]clientv3.Op, len(dirs))
	for i, d := range dirs {
		start, end := Range(d)
		opts := []clientv3.OpOption{clientv3.WithRange(end)}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		ops[i] = clientv3.OpGet(start, opts...)
	}
	return cli.Txn(ctx).Then(ops...).Commit()
}

// entries keeps the keys of r that lie in dir.
func entries(dir string, r *pb.RangeResponse) []Entry {
	var es []Entry
	for _, k := range r.GetKvs() {
		if key := string(k.Key); kv.Contains(dir, key) {
			es = append(es, Entry{Key: key, Value: string(k.Value), ModRevision: k.ModRevision, CreateRevision: k.CreateRevision})
		}
	}
	return es
}

// dirList names dirs for an error: all of them when few, else the first
// three and a count.
func dirList(dirs []string) string {
	if len(dirs) <= 4 {
		return "[" + strings.Join(dirs, " ") + "]"
	}
	return fmt.Sprintf("[%s and %d more]", strings.Join(dirs[:3], " "), len(dirs)-3)
}
