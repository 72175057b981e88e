package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// docsCommand prints the CLI reference generated from the command
// definitions, so docs/cli.md and the man page never drift from the code.
func docsCommand() *cli.Command {
	return &cli.Command{
		Name:   "docs",
		Usage:  "print the command-line reference as markdown or a man page",
		Hidden: true,
		Flags:  []cli.Flag{&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or man"}},
		Action: func(c *cli.Context) error {
			ref := newReference(newApp(c.App.Writer, c.App.ErrWriter))
			switch c.String("format") {
			case "markdown":
				fmt.Fprint(c.App.Writer, ref.markdown())
			case "man":
				fmt.Fprint(c.App.Writer, ref.man())
			default:
				return cli.Exit("--format: want markdown or man", exitUsage)
			}
			return nil
		},
	}
}

// reference is what both formats show: the global options once, and each
// command with only its own options (every command also takes the global
// ones, which urfave/cli's generators repeated for each).
type reference struct {
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

func newReference(app *cli.App) reference {
	r := reference{app: app, global: flagDocs(app.VisibleFlags())}
	common := map[string]bool{}
	for _, f := range commonFlags() {
		common[f.Names()[0]] = true
	}
	for _, c := range app.VisibleCommands() {
		if c.Name == "help" {
			continue
		}
		var own []cli.Flag
		for _, f := range c.VisibleFlags() {
			if n := f.Names()[0]; !common[n] && n != "help" {
				own = append(own, f)
			}
		}
		synopsis := c.UsageText
		if synopsis == "" {
			synopsis = strings.TrimSpace("confwatch " + c.Name + " [options] " + c.ArgsUsage)
		}
		r.commands = append(r.commands, commandDoc{name: c.Name, usage: c.Usage, synopsis: synopsis,
			description: c.Description, flags: flagDocs(own)})
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
func (r reference) envVars() [][2]string {
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
