package main

import (
	"context"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// txnOps is etcd's default --max-txn-ops.
const txnOps = 128

// putAll writes one key per address under dir, value the address, in
// transactions of txnOps from a few goroutines.
func putAll(ctx context.Context, cli *clientv3.Client, addrs []string, del bool) error {
	var batches [][]clientv3.Op
	for i := 0; i < len(addrs); i += txnOps {
		var ops []clientv3.Op
		for _, a := range addrs[i:min(i+txnOps, len(addrs))] {
			if del {
				ops = append(ops, clientv3.OpDelete(dir+"/"+a))
			} else {
				ops = append(ops, clientv3.OpPut(dir+"/"+a, a))
			}
		}
		batches = append(batches, ops)
	}
	work := make(chan []clientv3.Op)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ops := range work {
				if _, err := cli.Txn(ctx).Then(ops...).Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, b := range batches {
		select {
		case work <- b:
		case err := <-errs:
			close(work)
			wg.Wait()
			return fmt.Errorf("load keys: %w", err)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("load keys: %w", err)
	default:
		return nil
	}
}

// addrs returns addresses [from, to) of a family.
func addrs(family, from, to int) []string {
	out := make([]string, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		out = append(out, addr(family, i))
	}
	return out
}
