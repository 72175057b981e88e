package ack

import "testing"

func announcing(name string, lease int64, dirs map[string]Dir) Entry {
	return Entry{Key: Key("/acks", name), Lease: lease, Record: Record{Name: name, Dirs: dirs}}
}

func TestProgress(t *testing.T) {
	const key = "/services/apache/10.0.0.5:80"
	at := func(rev int64, result string) Dir { return Dir{Revision: rev, Result: result} }
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"nobody announces", nil, "all 0 load balancers at rev >= 43"},
		{"both reached", []Entry{
			announcing("lb-a", 1, map[string]Dir{"/services/apache": at(43, ResultApplied)}),
			announcing("lb-b", 2, map[string]Dir{"/services/apache": at(44, ResultUnchanged)}),
		}, "all 2 load balancers at rev >= 43"},
		{"one behind", []Entry{
			announcing("lb-a", 1, map[string]Dir{"/services/apache": at(43, ResultApplied)}),
			announcing("lb-b", 2, map[string]Dir{"/services/apache": at(41, ResultApplied)}),
		}, "waiting for 1 of 2 load balancers: lb-b at rev 41 < 43"},
		{"a failure is behind and says so", []Entry{
			announcing("lb-a", 1, map[string]Dir{"/services/apache": at(41, ResultFailed)}),
		}, "waiting for 1 of 1 load balancer: lb-a at rev 41 < 43 (failed)"},
		{"other directories do not count", []Entry{
			announcing("lb-a", 1, map[string]Dir{"/services/apache": at(43, ResultApplied), "/services/web": at(2, ResultFailed)}),
			announcing("lb-c", 3, map[string]Dir{"/services/web": at(2, ResultApplied)}),
		}, "all 1 load balancer at rev >= 43"},
		{"a parent directory counts", []Entry{
			announcing("lb-a", 1, map[string]Dir{"/services": at(40, ResultApplied)}),
		}, "waiting for 1 of 1 load balancer: lb-a at rev 40 < 43"},
		{"no lease: not counted", []Entry{
			announcing("lb-a", 0, map[string]Dir{"/services/apache": at(1, ResultApplied)}),
		}, "all 0 load balancers at rev >= 43"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]Entry{}
			for _, e := range tt.entries {
				m[e.Key] = e
			}
			if got := Progress(m, key, 43).String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
