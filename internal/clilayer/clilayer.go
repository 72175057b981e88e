// Package clilayer reads flags of urfave/cli across a command's lineage, so
// that a flag given after the command name beats the same flag given before
// it, and environment variables are read once, at the root.
package clilayer

import (
	"slices"

	"github.com/urfave/cli/v2"
)

// SetHere reports whether a flag of one of names (a flag and its aliases)
// is defined on ctx's own command and was set there (by flag or
// environment).
func SetHere(ctx *cli.Context, names []string) bool {
	for _, n := range ctx.LocalFlagNames() {
		if slices.Contains(names, n) {
			return true
		}
	}
	return false
}

// SetAnywhere reports whether names is set on any context of c's lineage.
func SetAnywhere(c *cli.Context, names []string) bool {
	return Deepest(c, names) != nil
}

// Deepest is the deepest context of c's lineage that set names, or nil.
func Deepest(c *cli.Context, names []string) *cli.Context {
	for _, ctx := range c.Lineage() {
		if ctx != nil && SetHere(ctx, names) {
			return ctx
		}
	}
	return nil
}

// RootFirst returns c's lineage from the root down to c, without the
// contexts of neither a command nor an app.
func RootFirst(c *cli.Context) []*cli.Context {
	var out []*cli.Context
	for _, ctx := range slices.Backward(c.Lineage()) {
		if ctx != nil && (ctx.Command != nil || ctx.App != nil) {
			out = append(out, ctx)
		}
	}
	return out
}

// WithoutEnv removes the environment variables of the string, string-slice,
// bool and duration flags of fs, in place, and returns fs: for a command's
// copy of the root's flags, so that a variable does not count as set on the
// command and beat a flag given before the command name.
func WithoutEnv(fs []cli.Flag) []cli.Flag {
	for _, f := range fs {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars = nil
		case *cli.StringSliceFlag:
			f.EnvVars = nil
		case *cli.BoolFlag:
			f.EnvVars = nil
		case *cli.DurationFlag:
			f.EnvVars = nil
		}
	}
	return fs
}
