package main

import (
	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/resource"
)

// systemdReloaders gives each group its reload action: reload_unit through
// systemd's D-Bus API, else reload_cmd through the shell.
func systemdReloaders(l *loaded) engine.ReloaderFunc {
	cmds := engine.CommandReloaders(apply.Shell{})
	return func(r *resource.Resource) apply.Reloader {
		return cmds(r)
	}
}
