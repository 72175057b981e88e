package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	line := "123 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 250 30 0 0 20 0 1 0\n"
	c, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != 2500*time.Millisecond || c.System != 300*time.Millisecond {
		t.Errorf("got %+v", c)
	}
	if _, err := parseStat([]byte("garbage")); err == nil {
		t.Error("want error for malformed stat")
	}
}

func TestSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := ReadCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
	if n, err := PeakRSS(os.Getpid()); err != nil || n <= 0 {
		t.Errorf("PeakRSS = %d, %v", n, err)
	}
}
