package sdbox

import (
	"bufio"
	"os"
	"strings"
)

// MountsUnder lists this mount namespace's mount points at or below dir
// (from /proc/self/mountinfo): what a box left mounted, if anything.
func MountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var found []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			found = append(found, fields[4])
		}
	}
	return found, sc.Err()
}
