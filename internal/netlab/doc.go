// Package netlab builds a small private network for tests: hosts as network namespaces
// (`ip netns add`), joined through veth pairs to bridges that live in one more namespace
// of their own. Root only; New skips the test with the reason when it cannot build one
// (fails under SDBOX_REQUIRE, as CI sets).
//
// Addresses are on private /24s (the caller picks them, e.g. 10.210.1.0/24) and exist
// only inside the lab's namespaces: the host's namespace gets no interface, no address and
// no route, and the bridge namespace forwards nothing between its bridges (no addresses,
// ip_forward is off in a new namespace), so nothing is routed in or out. Boot real systems
// in the hosts with internal/sdbox (Options.NetNS = Host.NS()); reach them from the test
// with Host.DialContext, which opens its sockets from inside a host's namespace.
//
// Faults: SetLink takes a host's link to one network down (its bridge port) and up again,
// as a pulled cable: the host keeps its address and route, its packets go nowhere.
//
// Teardown, registered with t.Cleanup: every namespace the lab made is deleted (links
// and bridges go with them). Namespace names start with "cwlab-<pid>-", the test
// process's PID; New first deletes the namespaces of labs whose process is gone (a test
// binary killed before its cleanups), never those of a lab still running.
package netlab
