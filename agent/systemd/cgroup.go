package systemd

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// ControlGroup returns unit's cgroup as systemd names it, relative to the
// root of the unified hierarchy ("/system.slice/nginx.service"): where the
// reload hold (package drain) finds the unit's processes. It is "" while
// the unit runs no process. Errors wrap the package sentinels.
func (m *Manager) ControlGroup(ctx context.Context, unit string) (string, error) {
	if !ValidUnitName(unit) {
		return "", fmt.Errorf("systemd: invalid unit name %q: %w", unit, ErrNoUnit)
	}
	b, err := m.conn(ctx)
	if err != nil {
		return "", fmt.Errorf("systemd: control group of %s: %w", unit, err)
	}
	cg, err := b.typeProperty(ctx, unit, "ControlGroup")
	if err != nil {
		if !b.connected() {
			m.drop(b)
		}
		return "", fmt.Errorf("systemd: control group of %s: %w", unit, err)
	}
	return cg, nil
}

// unitType is the D-Bus interface suffix for unit's type: "Service" for
// "nginx.service", "Scope" for "x.scope".
func unitType(unit string) string {
	t := strings.TrimPrefix(path.Ext(unit), ".")
	if t == "" {
		return "Service"
	}
	return strings.ToUpper(t[:1]) + t[1:]
}
