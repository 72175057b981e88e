package register

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"github.com/confwatch/confwatch/agent/backoff"
)

// keepConnected keeps conn trying to reach etcd at least about once a second
// until ctx ends: gRPC's own reconnect backoff grows to two minutes, far too
// slow to re-register within a second of etcd coming back. While the
// connection is failing it asks for a new attempt after a jittered wait of
// 100ms growing to 1s; each time the connection becomes ready it sends on
// up, without blocking, so pending retries can run at once.
func keepConnected(ctx context.Context, conn *grpc.ClientConn, up chan<- struct{}) {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for {
		st := conn.GetState()
		switch st {
		case connectivity.Ready:
			bo.Reset()
			select {
			case up <- struct{}{}:
			default:
			}
		case connectivity.TransientFailure:
			backoff.Sleep(ctx, bo.Next())
			conn.ResetConnectBackoff()
			if ctx.Err() != nil {
				return
			}
			continue
		case connectivity.Idle:
			conn.Connect()
		case connectivity.Shutdown:
			return
		}
		if !conn.WaitForStateChange(ctx, st) {
			return
		}
	}
}
