// Package history is the proof of issue 12: it records every revision etcd
// committed under a prefix (Recorder), every distinct content a file showed
// (Poller) and every content a reload command saw (ReadLog), and checks them
// against each other (Index): every observed content must equal the render of
// some revision, and the revisions matched, in order of observation, must
// never go backwards.
//
// The checker renders with agent/render and agent/kv, the code path the agent
// itself uses, so a content the agent wrote from a state that never existed in
// etcd (events applied out of order, a tree half updated) shows as a
// violation, whatever the cause.
package history
