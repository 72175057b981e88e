package main

import (
	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/systemd"
)

// reloadersWith gives each group its reload action: reload_unit through
// systemd's D-Bus API (mgr), else reload_cmd through the shell.
func reloadersWith(mgr *systemd.Manager) func(*loaded) engine.ReloaderFunc {
	return func(*loaded) engine.ReloaderFunc {
		cmds := engine.CommandReloaders(apply.Shell{})
		return func(r *resource.Resource) apply.Reloader {
			if r.ReloadUnit != "" {
				return systemd.Reloader{M: mgr, Unit: r.ReloadUnit, Mode: r.ReloadMode, StartIfInactive: r.StartIfInactive}
			}
			return cmds(r)
		}
	}
}

// systemdReloaders is reloadersWith over a manager of the command's own,
// for one-shot commands.
func systemdReloaders(l *loaded) engine.ReloaderFunc {
	return reloadersWith(systemd.NewManager(l.log))(l)
}
