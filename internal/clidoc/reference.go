// Package clidoc generates confwatch's command-line reference from its
// *cli.App: docs/cli.md (Markdown), the confwatch(8) man page and the shell
// completion scripts, so none of them drifts from the command definitions.
// It holds no command; cmd/confwatch calls it.
package clidoc

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// Reference is what both formats show: the global options once, and each
// command with only its own options (every command also takes the global
// ones, which urfave/cli's generators repeated for each).
type Reference struct {
	app      *cli.App
	global   []flagDoc
	commands []commandDoc
}

type commandDoc struct {
	name, usage, synopsis, description string
	flags                              []flagDoc
}

// flagDoc is one visible flag.
type flagDoc struct {
	names    []string // "--confdir", then aliases
	arg      string   // placeholder, "" for a boolean
	usage    string   // without the placeholder's backticks
	def      string   // shown default, "" for none
	env      []string
	category string
}

// New builds the reference of app. common are the flags every command takes
// besides the global ones: they are left out of each command's list.
func New(app *cli.App, common []cli.Flag) Reference {
	r := Reference{app: app, global: flagDocs(app.VisibleFlags())}
	own := map[string]bool{}
	for _, f := range common {
		own[f.Names()[0]] = true
	}
	for _, c := range app.VisibleCommands() {
		if c.Name == "help" {
			continue
		}
		var flags []cli.Flag
		for _, f := range c.VisibleFlags() {
			if n := f.Names()[0]; !own[n] && n != "help" {
				flags = append(flags, f)
			}
		}
		synopsis := c.UsageText
		if synopsis == "" {
			synopsis = strings.TrimSpace("confwatch " + c.Name + " [options] " + c.ArgsUsage)
		}
		r.commands = append(r.commands, commandDoc{name: c.Name, usage: c.Usage, synopsis: synopsis,
			description: c.Description, flags: flagDocs(flags)})
	}
	return r
}

func flagDocs(fs []cli.Flag) []flagDoc {
	var out []flagDoc
	for _, f := range fs {
		d, ok := f.(cli.DocGenerationFlag)
		if !ok || f.Names()[0] == "help" || f.Names()[0] == "version" {
			continue
		}
		arg, usage := unquoteUsage(d.GetUsage())
		if d.TakesValue() && arg == "" {
			arg = placeholder(f)
		}
		if !d.TakesValue() {
			arg = ""
		}
		fd := flagDoc{arg: arg, usage: usage, def: shownDefault(d), env: d.GetEnvVars()}
		for _, n := range f.Names() {
			fd.names = append(fd.names, "--"+n)
		}
		if c, ok := f.(cli.CategorizableFlag); ok {
			fd.category = c.GetCategory()
		}
		out = append(out, fd)
	}
	return out
}

// placeholder names a flag's value when its usage does not (`FILE`).
func placeholder(f cli.Flag) string {
	switch f.(type) {
	case *cli.DurationFlag:
		return "DURATION"
	case *cli.IntFlag, *cli.UintFlag, *cli.Int64Flag:
		return "N"
	default:
		return "VALUE"
	}
}

// shownDefault is the default worth printing: none for zero values.
func shownDefault(d cli.DocGenerationFlag) string {
	v := d.GetDefaultText()
	if v == "" {
		v = d.GetValue()
	}
	switch strings.Trim(v, `"`) {
	case "", "false", "0", "0s", "[]":
		return ""
	}
	return v
}

// envVars lists every variable a flag reads, with the flag, in order.
func (r Reference) envVars() [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	add := func(fs []flagDoc) {
		for _, f := range fs {
			for _, e := range f.env {
				if !seen[e] {
					seen[e] = true
					out = append(out, [2]string{e, f.names[0]})
				}
			}
		}
	}
	add(r.global)
	for _, c := range r.commands {
		add(c.flags)
	}
	return out
}

// categories returns the global flags grouped by category, in first-seen order.
func categories(fs []flagDoc) (names []string, by map[string][]flagDoc) {
	by = map[string][]flagDoc{}
	for _, f := range fs {
		if _, ok := by[f.category]; !ok {
			names = append(names, f.category)
		}
		by[f.category] = append(by[f.category], f)
	}
	return names, by
}

// unquoteUsage splits the `PLACEHOLDER` out of a flag's usage, as urfave/cli
// does for --help (which does not export it).
func unquoteUsage(usage string) (arg, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	arg, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return arg, before + arg + after
}
