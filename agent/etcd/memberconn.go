package etcd

import (
	"context"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
)

// probeConns keeps one gRPC connection per member for the prober's status
// calls. clientv3's Maintenance.Status dials a new connection on every call
// and closes it: with three members probed every 400 ms that was 7.5 new
// connections (and TLS handshakes) per second per agent and per sidekick. A
// member that answers keeps its connection; one whose probe fails has it
// closed, so the next probe dials afresh (as before: a restarted member is
// seen again at once, not after gRPC's reconnect backoff, and a frozen one
// fails the same way on a new connection as on the old).
type probeConns struct {
	dial func(ep string) (*grpc.ClientConn, error)

	mu sync.Mutex
	m  map[string]*grpc.ClientConn
}

// status asks member ep for its status on its kept connection.
func (p *probeConns) status(ctx context.Context, ep string) (*pb.StatusResponse, error) {
	conn, err := p.get(ep)
	if err != nil {
		return nil, err
	}
	resp, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
	if err != nil {
		p.drop(ep, conn)
	}
	return resp, err
}

func (p *probeConns) get(ep string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.m[ep]; c != nil {
		return c, nil
	}
	c, err := p.dial(ep)
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]*grpc.ClientConn{}
	}
	p.m[ep] = c
	return c, nil
}

func (p *probeConns) drop(ep string, c *grpc.ClientConn) {
	p.mu.Lock()
	if p.m[ep] == c {
		delete(p.m, ep)
	}
	p.mu.Unlock()
	_ = c.Close()
}

// closeAll closes every kept connection.
func (p *probeConns) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ep, c := range p.m {
		_ = c.Close()
		delete(p.m, ep)
	}
}
