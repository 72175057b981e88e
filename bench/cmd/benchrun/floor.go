package main

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// event is one watch event as the floor watcher saw it.
type event struct {
	key string
	del bool
	at  time.Time
}

// floorWatcher is a plain etcd watcher of the directory, on its own client:
// the time a put takes to reach any watcher is the floor under the agent's
// latency.
type floorWatcher struct {
	events chan event
	cancel context.CancelFunc
}

// watchFloor watches dir from the current revision on.
func watchFloor(ctx context.Context, cli *clientv3.Client) (*floorWatcher, error) {
	resp, err := cli.Get(ctx, dir+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	f := &floorWatcher{events: make(chan event, 4096), cancel: cancel}
	wch := cli.Watch(wctx, dir+"/", clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	go func() {
		for wr := range wch {
			now := time.Now()
			for _, ev := range wr.Events {
				select {
				case f.events <- event{key: string(ev.Kv.Key), del: ev.Type == clientv3.EventTypeDelete, at: now}:
				default:
				}
			}
		}
	}()
	return f, nil
}

// wait returns when the watcher saw the change of key (a delete when del).
func (f *floorWatcher) wait(key string, del bool, timeout time.Duration) (time.Time, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case ev := <-f.events:
			if ev.key == key && ev.del == del {
				return ev.at, nil
			}
		case <-t.C:
			return time.Time{}, fmt.Errorf("floor watcher: no event for %s within %s", key, timeout)
		}
	}
}

func (f *floorWatcher) stop() { f.cancel() }
