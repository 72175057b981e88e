package etcd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Members probes every configured etcd member and keeps the client's
// endpoints to the members that answer, so that a frozen member (a stopped
// process, a dead host whose TCP connections stay open) is left within about
// a second instead of after gRPC's keepalive, which etcd does not let go
// below 5 s (it answers faster pings with GOAWAY too_many_pings).
//
// Moving the endpoints alone does not move a running stream: gRPC closes the
// removed connection gracefully, and a watch or lease keep-alive stream on it
// stays stuck. So Members also counts generations: each change of the set of
// answering members starts a new generation (Changed), and its users restart
// their streams on new gRPC streams (watch.Loop with a per-generation
// metadata pair, register with one KeepAliveOnce per call). Progress
// requests alone cannot move a stream either: they travel on the stuck one.
//
// A member is out after Fails probes in a row failed; one answer brings it
// back. The endpoints are never set to an empty set: when no member answers,
// the client keeps its last set and gRPC keeps retrying them.
type Members struct {
	cli     *clientv3.Client
	all     []string
	every   time.Duration
	timeout time.Duration
	fails   int

	mu      sync.Mutex
	state   map[string]*member
	gen     uint64
	changed chan struct{} // closed and replaced at each new generation
	quorum  bool          // some answering member knows a leader
	probed  bool          // a first round of probes was taken

	conns probeConns // one kept connection per answering member
}

type member struct {
	fails int
	since time.Time // first failure of the current run of failures
	out   bool
}

// MemberOptions tune a prober; zero values take the defaults.
type MemberOptions struct {
	Every   time.Duration // probe period (default 400ms)
	Timeout time.Duration // bound on one probe (default 700ms)
	Fails   int           // failures in a row before a member is out (default 2)
}

// NewMembers returns a prober of the client's configured endpoints. It
// probes nothing until Run.
func NewMembers(cli *clientv3.Client, o MemberOptions) *Members {
	if o.Every <= 0 {
		o.Every = 400 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 700 * time.Millisecond
	}
	if o.Fails <= 0 {
		o.Fails = 2
	}
	m := &Members{cli: cli, all: slices.Clone(cli.Endpoints()), every: o.Every, timeout: o.Timeout, fails: o.Fails,
		state: map[string]*member{}, changed: make(chan struct{}), quorum: true,
		conns: probeConns{dial: cli.Dial}}
	for _, ep := range m.all {
		m.state[ep] = &member{}
	}
	return m
}

// Run probes every member every period until ctx ends.
func (m *Members) Run(ctx context.Context) {
	t := time.NewTicker(m.every)
	defer t.Stop()
	defer m.conns.closeAll()
	for {
		m.probeAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type probe struct {
	ep     string
	err    error
	leader bool
}

// probeAll asks every member for its status at once and takes the answers.
func (m *Members) probeAll(ctx context.Context) {
	res := make([]probe, len(m.all))
	var wg sync.WaitGroup
	for i, ep := range m.all {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, m.timeout)
			defer cancel()
			st, err := m.conns.status(pctx, ep)
			res[i] = probe{ep: ep, err: err, leader: err == nil && st.Leader != 0}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	m.take(res, time.Now())
}

// take records one round of probes and moves the endpoints when the set of
// answering members changed.
func (m *Members) take(res []probe, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	quorum := false
	for _, p := range res {
		s := m.state[p.ep]
		if p.err == nil {
			s.fails, s.out, s.since = 0, false, time.Time{}
			quorum = quorum || p.leader
			continue
		}
		if s.fails == 0 {
			s.since = now
		}
		s.fails++
		s.out = s.out || s.fails >= m.fails
	}
	m.quorum, m.probed = quorum, true
	live := m.liveLocked()
	if len(live) == 0 || slices.Equal(live, m.cli.Endpoints()) {
		return
	}
	m.cli.SetEndpoints(live...)
	m.gen++
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *Members) liveLocked() []string {
	var live []string
	for _, ep := range m.all {
		if !m.state[ep].out {
			live = append(live, ep)
		}
	}
	return live
}

// Changed returns the current generation and a channel closed when the next
// one starts (the client's endpoints moved): streams opened before should be
// restarted on new gRPC streams.
func (m *Members) Changed() (uint64, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen, m.changed
}

// Answering reports whether some member answers and knows a leader (the
// cluster has quorum as far as the answering members can tell). Before the
// first probe it reports true.
func (m *Members) Answering() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.quorum
}

// Probed reports whether a first round of probes was taken: before it,
// Answering and Health only assume the members answer.
func (m *Members) Probed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.probed
}

// Health is the prober's view for STATUS=, /healthz and logs.
type Health struct {
	Up    bool      // some member answers with a leader
	Out   []Out     // members not answering, in configured order
	Using int       // members in use
	Of    int       // members configured
	At    time.Time // when this was taken
}

// Out is one member that does not answer.
type Out struct {
	Endpoint string
	Since    time.Time
}

// Health returns the current view.
func (m *Members) Health() Health {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := Health{Up: m.quorum, Of: len(m.all), At: time.Now()}
	for _, ep := range m.all {
		s := m.state[ep]
		if s.out {
			h.Out = append(h.Out, Out{Endpoint: ep, Since: s.since})
		} else {
			h.Using++
		}
	}
	return h
}

// String says which members do not answer, e.g. "etcd member
// http://10.0.0.2:2379 not answering since 10:04:05; using 2 of 3"; "" when
// every member answers.
func (h Health) String() string {
	if len(h.Out) == 0 {
		return ""
	}
	parts := make([]string, len(h.Out))
	for i, o := range h.Out {
		parts[i] = fmt.Sprintf("%s not answering since %s", o.Endpoint, o.Since.Format("15:04:05"))
	}
	word := "member"
	if len(parts) > 1 {
		word = "members"
	}
	return fmt.Sprintf("etcd %s %s; using %d of %d", word, strings.Join(parts, ", "), h.Using, h.Of)
}
