package units

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// Output says where `generate-units` puts what it generates: the unit files
// into Dir (with the README to stdout when Dir is empty), the README into the
// file Readme, the confdir files (ConfDir) into WithConfDir. Force overwrites
// existing files.
type Output struct {
	Dir, Readme, WithConfDir string
	Force                    bool
}

// Outputs are the files of one spec ready to be written (see Output.Prepare).
type Outputs struct {
	o       Output
	spec    Spec
	units   []File
	readme  []byte
	targets map[string][]File // output directory -> files
}

// Prepare generates every file of spec that o asks for; an error means spec
// cannot be generated.
func (o Output) Prepare(spec Spec) (*Outputs, error) {
	files, err := Generate(spec)
	if err != nil {
		return nil, err
	}
	readme, err := Readme(spec)
	if err != nil {
		return nil, err
	}
	out := &Outputs{o: o, spec: spec, units: files, readme: readme, targets: map[string][]File{}}
	if o.Dir != "" {
		out.targets[o.Dir] = files
	}
	if p := o.Readme; p != "" {
		out.targets[filepath.Dir(p)] = append(out.targets[filepath.Dir(p)], File{Name: filepath.Base(p), Data: readme})
	}
	if dir := o.WithConfDir; dir != "" {
		conf, err := ConfDir(spec)
		if err != nil {
			return nil, err
		}
		out.targets[dir] = append(out.targets[dir], conf...)
	}
	return out, nil
}

// Write refuses, before writing anything, files that exist (without Force)
// or cannot be written; then prints what goes to stdout and writes the rest,
// with a line per directory written (and a note when the confdir files were
// not written where the load balancer reads them) to stderr.
func (out *Outputs) Write(stdout, stderr io.Writer) error {
	dirs := slices.Sorted(maps.Keys(out.targets))
	for _, dir := range dirs {
		if err := CheckWritable(dir, out.targets[dir], out.o.Force); err != nil {
			return err
		}
	}
	if out.o.Dir == "" {
		for _, f := range out.units {
			fmt.Fprintf(stdout, "# ==> %s <==\n%s\n", f.Name, f.Data)
		}
		if out.o.Readme == "" {
			fmt.Fprintf(stdout, "# ==> README.md <==\n%s\n", out.readme)
		}
	}
	for _, dir := range dirs {
		fs := out.targets[dir]
		if err := WriteFiles(dir, fs, out.o.Force); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "generate-units: wrote %d files into %s\n", len(fs), dir)
	}
	if dir := out.o.WithConfDir; dir != "" && !sameDir(dir, out.spec.ConfDir) {
		fmt.Fprintf(stderr, "generate-units: note: %s.service reads the confdir %s (--confdir); the confdir files were written to %s: copy them there\n",
			out.spec.LBName, out.spec.ConfDir, dir)
	}
	return nil
}

// sameDir reports whether dir (relative to the working directory) is the
// absolute directory confdir.
func sameDir(dir, confdir string) bool {
	abs, err := filepath.Abs(dir)
	return err == nil && abs == filepath.Clean(confdir)
}

// IgnoredFlags returns a warning for each group of generate-units flags given
// (isSet, called with a flag's name) that s's combination does not use.
func IgnoredFlags(s Spec, isSet func(string) bool) []string {
	var out []string
	ignored := func(cond bool, why string, names ...string) {
		var given []string
		for _, n := range names {
			if cond && isSet(n) {
				given = append(given, "--"+n)
			}
		}
		if len(given) > 0 {
			out = append(out, strings.Join(given, ", ")+" ignored with "+why)
		}
	}
	ignored(s.Runtime == RuntimeExec, "--runtime exec", "backend-image", "container-port", "runtime-path")
	ignored(s.AdvertiseIP != "", "--advertise-ip", "advertise-env", "environment-file")
	ignored(s.HealthCheck == CheckNone, "--health-check none", "rise", "fall", "interval", "health-path")
	ignored(s.HealthCheck == CheckTCP, "--health-check tcp", "health-path")
	return out
}
