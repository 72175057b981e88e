package resource

import (
	"fmt"
	"os/user"
	"strconv"
)

// resolveOwner turns owner/group names into ids. uid/gid keys win over names,
// as in confd's fork; -1 means unset (keep the destination's, or the agent's
// effective id for a new file).
func resolveOwner(s Spec) (uid, gid int, err error) {
	uid, gid = -1, -1
	if s.UID != nil {
		uid = *s.UID
	} else if s.Owner != "" {
		u, err := user.Lookup(s.Owner)
		if err != nil {
			return 0, 0, fmt.Errorf("owner = %q: %w", s.Owner, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		if s.GID == nil && s.Group == "" {
			gid, _ = strconv.Atoi(u.Gid)
		}
	}
	if s.GID != nil {
		gid = *s.GID
	} else if s.Group != "" {
		g, err := user.LookupGroup(s.Group)
		if err != nil {
			return 0, 0, fmt.Errorf("group = %q: %w", s.Group, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}
