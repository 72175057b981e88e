package resource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/diag"
	"github.com/confwatch/confwatch/agent/format"
	"github.com/confwatch/confwatch/agent/systemd"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// forkKeys are keys of the maintained confd fork that confwatch accepts but
// does not act on: a warning names them.
var forkKeys = map[string]bool{"debounce": true, "backend": true}

// Options are the global settings that shape resources.
type Options struct {
	ConfDir string
	Prefix  string // global prefix: replaces each resource's own, as in confd
	// Hold is the agent's default reload hold for resources with a
	// reload_unit (max_draining, max_hold in confwatch.toml); nil: the
	// built-in DefaultMaxDraining and DefaultMaxHold.
	Hold *Hold
	// KeepBroken returns resources that have problems too (for `check`, so
	// their templates and paths are checked as well); never use them to apply.
	KeepBroken bool
}

// LoadAll reads every conf.d/*.toml under opts.ConfDir, in name order. It
// returns the resources that loaded and every problem found (file:line:col);
// the caller decides whether warnings are fatal. No etcd, no writes.
func LoadAll(opts Options) ([]*Resource, diag.List) {
	dir := filepath.Join(opts.ConfDir, "conf.d")
	files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err == nil && len(files) == 0 {
		if _, serr := os.Stat(dir); serr != nil {
			err = serr
		}
	}
	if err != nil {
		return nil, diag.List{{File: dir, Msg: fmt.Sprintf("cannot read template resources: %v", err)}}
	}
	sort.Strings(files)
	var out []*Resource
	var probs diag.List
	for _, f := range files {
		r, p := load(f, opts)
		probs = append(probs, p...)
		if r != nil && (opts.KeepBroken || len(p.Errors()) == 0) {
			out = append(out, r)
		}
	}
	if len(files) == 0 {
		probs = append(probs, diag.Problem{File: dir, Msg: "no template resources (*.toml) found"})
	}
	return out, append(probs, duplicateDests(out)...)
}

// Load reads one template resource file. It returns nil and the problems when
// the file cannot be used.
func Load(file string, opts Options) (*Resource, diag.List) {
	r, probs := load(file, opts)
	if len(probs.Errors()) > 0 {
		return nil, probs
	}
	return r, probs
}

// load returns the resource whenever the file decoded, with its problems.
func load(file string, opts Options) (*Resource, diag.List) {
	var f File
	tolerated, probs, err := diag.DecodeTOML(file, &f, func(k toml.Key) bool {
		return len(k) >= 2 && k[0] == "template" && forkKeys[k[1]]
	})
	if err != nil {
		return nil, diag.List{{File: file, Msg: withoutPath(file, err)}}
	}
	data, _ := atomicfile.ReadRegular(file)
	data = stripBOM(data)
	for _, k := range tolerated {
		line, col := diag.KeyPosition(data, k)
		probs = append(probs, diag.Problem{File: file, Line: line, Col: col, Warning: true,
			Msg: fmt.Sprintf("key %q of the confd fork is accepted but has no effect in confwatch", k.String())})
	}
	if !hasUnknownOnly(probs) {
		return nil, probs
	}
	r, more := build(file, data, f.Template, opts)
	return r, append(probs, more...)
}

func build(file string, data []byte, s Spec, opts Options) (*Resource, diag.List) {
	var probs diag.List
	at := func(key, msg string) {
		line, col := diag.KeyPosition(data, toml.Key{"template", key})
		probs = append(probs, diag.Problem{File: file, Line: line, Col: col, Msg: msg})
	}
	warnAt := func(key, msg string) {
		line, col := diag.KeyPosition(data, toml.Key{"template", key})
		probs = append(probs, diag.Problem{File: file, Line: line, Col: col, Msg: msg, Warning: true})
	}
	r := &Resource{Spec: s, File: file, Name: strings.TrimSuffix(filepath.Base(file), ".toml"),
		TplDir: filepath.Join(opts.ConfDir, "templates")}
	if !bytesHasTemplate(data) {
		at("template", "no [template] table")
		return nil, probs
	}
	if s.Src == "" {
		at("src", "src is required")
	} else {
		r.SrcPath = srcPath(opts.ConfDir, s.Src)
	}
	if s.Dest == "" {
		at("dest", "dest is required")
	} else if !filepath.IsAbs(s.Dest) {
		at("dest", fmt.Sprintf("dest = %q must be an absolute path", s.Dest))
	} else if p := destProblem(s.Dest); p != "" {
		at("dest", p)
	}
	r.Dest = cleanDest(s.Dest)
	if len(s.Keys) == 0 {
		at("keys", "keys is empty: the template could read nothing from etcd")
	}
	for i, k := range s.Keys {
		if p, warn := keyProblem(i, k); warn {
			warnAt("keys", p)
		} else if p != "" {
			at("keys", p)
		}
	}
	for _, id := range []struct {
		key string
		v   *int
	}{{"uid", s.UID}, {"gid", s.GID}} {
		if p := idProblem(id.key, id.v); p != "" {
			at(id.key, p)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"check_cmd_timeout", s.CheckTimeout.Duration}, {"reload_cmd_timeout", s.ReloadTimeout.Duration}} {
		if d.v < 0 {
			at(d.key, fmt.Sprintf("%s must not be negative, got %s", d.key, d.v))
		}
	}
	prefix := s.Prefix
	if opts.Prefix != "" {
		prefix = opts.Prefix
	}
	r.Prefix = prefix
	r.Dirs = dirs(prefix, s.Keys)
	var err error
	if r.UID, r.GID, err = resolveOwner(s); err != nil {
		key := "owner"
		if s.Owner == "" || s.UID != nil {
			key = "group"
		}
		at(key, err.Error())
	}
	if r.FileMode, err = parseMode(s.Mode); err != nil {
		at("mode", err.Error())
	} else if decimal(s.Mode) {
		warnAt("mode", fmt.Sprintf("mode = %q has no leading 0, so it is read as decimal, as confd does: %#o; write %q if that is meant", s.Mode, r.FileMode, fmt.Sprintf("%#o", r.FileMode)))
	}
	if r.Shrink, err = parseShrink(s.MaxShrink); err != nil {
		at("max_shrink", err.Error())
	}
	if r.WaitMin, r.WaitMax, err = parseWait(s.Wait); err != nil {
		at("wait", err.Error())
	}
	if r.OutputLimit, err = parseSize(s.MaxOutput); err != nil {
		at("max_output", err.Error())
	}
	for _, c := range []struct{ key, cmd string }{{"check_cmd", s.CheckCmd}, {"reload_cmd", s.ReloadCmd}} {
		if err := checkCommand(c.cmd); err != nil {
			at(c.key, err.Error())
		}
	}
	if s.ReloadUnit != "" && s.ReloadCmd != "" {
		at("reload_unit", "set reload_unit or reload_cmd, not both")
	}
	if !format.Known(s.OutputFormat) {
		at("output_format", fmt.Sprintf("output_format = %q: want %s", s.OutputFormat, strings.Join(format.Names, ", ")))
	}
	if s.ReloadMode != "" && !systemd.ValidMode(s.ReloadMode) {
		at("reload_mode", fmt.Sprintf("reload_mode = %q: want %s", s.ReloadMode, orList(systemd.Modes())))
	}
	if s.CheckTimeout.Duration == 0 {
		r.CheckTimeout.Duration = DefaultCheckTimeout
	}
	if s.ReloadTimeout.Duration == 0 {
		r.ReloadTimeout.Duration = DefaultReloadTimeout
	}
	if r.MinInterval = minInterval(s); r.MinInterval < 0 {
		at("min_reload_interval", "min_reload_interval must not be negative")
	}
	var hk string
	if r.Hold, hk, err = hold(s, opts.Hold); err != nil {
		at(hk, err.Error())
	}
	if r.ReloadMode == "" {
		r.ReloadMode = systemd.ModeReload
	}
	if !bytesHasTemplate(data) {
		return nil, probs
	}
	return r, probs
}

// withoutPath is err's message for a Problem, which names file already:
// os's "read FILE: is a directory" becomes "cannot read: is a directory".
func withoutPath(file string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == file {
		return "cannot " + pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// hasUnknownOnly reports whether every error is an unknown key, after which
// the rest of the file is still worth checking.
func hasUnknownOnly(l diag.List) bool {
	for _, p := range l.Errors() {
		if p.Code != diag.CodeUnknownKey {
			return false
		}
	}
	return true
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// templateHeader matches what TOML allows for the template table: a
// [template] header (bare or quoted name, spaces, a comment after it) or a
// dotted key under it at the top level (template.src = ...).
var templateHeader = regexp.MustCompile(`(?m)^\s*(\[\s*(template|"template"|'template')\s*\]\s*(#.*)?$|(template|"template"|'template')\s*\.)`)

func bytesHasTemplate(data []byte) bool { return templateHeader.Match(data) }

// checkCommand checks a check_cmd or reload_cmd template: only {{.src}} and
// {{.dest}} exist.
func checkCommand(cmd string) error {
	if cmd == "" {
		return nil
	}
	if _, err := apply.Expand(cmd, "", ""); err != nil {
		return fmt.Errorf("%w (only {{.src}} and {{.dest}} can be used)", err)
	}
	return nil
}

// srcPath resolves src against <confdir>/templates. confd joins even an
// absolute src to the template directory; confwatch takes an absolute path
// as it is, unless only the confd reading of it exists.
func srcPath(confdir, src string) string {
	rel := filepath.Join(confdir, "templates", src)
	if !filepath.IsAbs(src) {
		return rel
	}
	if _, err := os.Stat(src); err != nil {
		if _, err := os.Stat(rel); err == nil {
			return rel
		}
	}
	return src
}

// duplicateDests reports resources that write the same file: their
// transactions would race.
func duplicateDests(rs []*Resource) diag.List {
	var out diag.List
	seen := map[string]*Resource{}
	for _, r := range rs {
		if r.Dest == "" {
			continue
		}
		file := writtenFile(r.Dest)
		if first, ok := seen[file]; ok {
			msg := fmt.Sprintf("dest %s is also written by %s", r.Dest, first.File)
			if first.Dest != r.Dest {
				msg += fmt.Sprintf(" (its dest %s and this one are both %s, through symlinks)", first.Dest, file)
			}
			out = append(out, diag.Problem{File: r.File, Msg: msg})
			continue
		}
		seen[file] = r
	}
	return out
}

// writtenFile is the file an apply of dest replaces: symlinks followed, in
// its final component (as apply writes through them) and in its directory.
func writtenFile(dest string) string {
	p, err := atomicfile.Resolve(dest)
	if err != nil {
		return dest
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(dir, filepath.Base(p))
	}
	return p
}
