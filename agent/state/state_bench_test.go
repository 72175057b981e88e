package state

import "testing"

// BenchmarkPut is one durable state write ($TMPDIR decides the file system):
// the cost each apply pays twice (unsettled before the swap, applied after).
func BenchmarkPut(b *testing.B) {
	s := &Store{Dir: b.TempDir()}
	for b.Loop() {
		if err := s.Put("r", Applied{Revision: 1, Dirs: []string{"/d"}, Counts: []int{1}}); err != nil {
			b.Fatal(err)
		}
	}
}
