package main

import (
	"embed"
	"strings"
)

// helpFS holds each command's long description, help/NAME.txt: prose kept as
// text, next to the flags that it explains.
//
//go:embed help/*.txt
var helpFS embed.FS

// help returns the long description of command name; a missing file is a
// build mistake that TestEveryCommandHasHelp catches.
func help(name string) string {
	b, _ := helpFS.ReadFile("help/" + name + ".txt")
	return strings.TrimSuffix(string(b), "\n")
}
