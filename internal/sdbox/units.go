package sdbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// installUnits masks the kernel-facing units and writes the boot target and units.
func (b *Box) installUnits(units []UnitFile) error {
	for _, m := range masked {
		if err := b.symlink("/dev/null", "etc/systemd/system/"+m); err != nil {
			return err
		}
	}
	units = append([]UnitFile{
		{Name: "sdbox.target", Content: bootTarget},
		{Name: "sdbox-bus.socket", Content: busSocket},
		{Name: "sdbox-bus.service", Content: fmt.Sprintf(busService, systemdProgram("systemd-socket-proxyd"))},
	}, units...)
	for _, u := range units {
		if u.Name == "" || filepath.IsAbs(u.Name) || strings.Contains(u.Name, "..") || strings.Count(u.Name, "/") > 1 {
			return fmt.Errorf("bad unit file name %q", u.Name)
		}
		if err := b.WriteFile("/etc/systemd/system/"+u.Name, []byte(u.Content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// symlink makes name (relative to Root()) a symlink to target, replacing what is there.
func (b *Box) symlink(target, name string) error {
	r, err := os.OpenRoot(b.Root())
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return r.Symlink(target, name)
}

// systemdProgram returns the path of one of systemd's programs, "" if it is missing.
func systemdProgram(name string) string {
	for _, dir := range []string{"/lib/systemd/", "/usr/lib/systemd/"} {
		if fi, err := os.Stat(dir + name); err == nil && fi.Mode().IsRegular() {
			return dir + name
		}
	}
	return ""
}
