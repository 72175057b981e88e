package ack

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
)

// Entry is one key under the prefix: an announcing agent.
type Entry struct {
	Key    string
	Lease  int64 // 0: a key without a lease, which never expires and does not count
	Record Record
	Err    error // the value is not a record (Record is then zero but for Name)
}

// Live reports whether the entry counts as an announcing agent: its key is
// held by a lease (etcd deletes it when the lease ends) and its value parses.
func (e Entry) Live() bool { return e.Lease != 0 && e.Err == nil }

// entryOf reads one key-value under prefix.
func entryOf(prefix string, kv *mvccpb.KeyValue) Entry {
	e := Entry{Key: string(kv.Key), Lease: kv.Lease}
	e.Record, e.Err = Parse(kv.Value)
	if e.Record.Name == "" {
		e.Record.Name = strings.TrimPrefix(e.Key, dirPrefix(prefix))
	}
	return e
}

// List reads every announcement under prefix, sorted by key, and the
// revision etcd was at.
func List(ctx context.Context, kv clientv3.KV, prefix string) ([]Entry, int64, error) {
	resp, err := kv.Get(ctx, dirPrefix(prefix), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("list announcements under %s: %w", prefix, err)
	}
	out := make([]Entry, 0, len(resp.Kvs))
	for _, x := range resp.Kvs {
		out = append(out, entryOf(prefix, x))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, resp.Header.Revision, nil
}

// Follow calls fn with every announcement under prefix, by key, first as
// listed and then after each change seen on a watch of the prefix (no
// polling), until fn returns true (Follow returns nil) or ctx ends (its
// error). A watch that breaks (etcd compacted, or it went away) is followed
// by a new list and watch.
func Follow(ctx context.Context, cli *clientv3.Client, prefix string, fn func(map[string]Entry) bool) error {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for {
		list, rev, err := List(ctx, cli, prefix)
		if err != nil {
			if !backoff.Sleep(ctx, bo.Next()) {
				return ctx.Err()
			}
			continue
		}
		cur := make(map[string]Entry, len(list))
		for _, e := range list {
			cur[e.Key] = e
		}
		if fn(cur) {
			return nil
		}
		if done, err := follow(ctx, cli, prefix, rev, cur, fn); done || err != nil {
			return err
		}
	}
}

// follow watches prefix from rev+1, keeping cur up to date; done when fn
// said so, false with a nil error when the watch broke and must be redone.
func follow(ctx context.Context, cli *clientv3.Client, prefix string, rev int64, cur map[string]Entry, fn func(map[string]Entry) bool) (bool, error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range cli.Watch(wctx, dirPrefix(prefix), clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if wr.Err() != nil {
			break
		}
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.DELETE {
				delete(cur, string(ev.Kv.Key))
			} else {
				cur[string(ev.Kv.Key)] = entryOf(prefix, ev.Kv)
			}
		}
		if len(wr.Events) > 0 && fn(cur) {
			return true, nil
		}
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return false, nil
}
