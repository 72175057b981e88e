package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// printer writes the demo's timeline: one line per step, stamped with the
// time since start, the step's name in a column of its own. Only the demo's
// main goroutine prints.
type printer struct {
	w     io.Writer
	start time.Time
	color bool
}

func newPrinter(w io.Writer, color bool) *printer {
	return &printer{w: w, start: time.Now(), color: color}
}

// ANSI styles.
const (
	bold  = "1"
	dim   = "2"
	red   = "31"
	green = "32"
	cyan  = "36"
)

// paint wraps s in an ANSI style when colors are on.
func (p *printer) paint(style, s string) string {
	if !p.color || s == "" {
		return s
	}
	return "\033[" + style + "m" + s + "\033[0m"
}

// stamp is the time since start, right-aligned: "  +12.3s".
func (p *printer) stamp() string {
	return fmt.Sprintf("%8s", fmt.Sprintf("+%.1fs", time.Since(p.start).Seconds()))
}

// line prints one step: what (a short word) and a text.
func (p *printer) line(what, format string, a ...any) {
	fmt.Fprintf(p.w, "%s  %s %s\n", p.paint(dim, p.stamp()), p.paint(cyan, fmt.Sprintf("%-8s", what)), fmt.Sprintf(format, a...))
}

// event starts the block of one event with a blank line and a bold title.
func (p *printer) event(style, format string, a ...any) {
	fmt.Fprintf(p.w, "\n%s  %s\n", p.paint(dim, p.stamp()), p.paint(bold+";"+style, fmt.Sprintf(format, a...)))
}

// text prints lines as they are.
func (p *printer) text(lines ...string) {
	fmt.Fprintln(p.w, strings.Join(lines, "\n"))
}

// clear clears a color terminal, for a clean first screen.
func (p *printer) clear() {
	if p.color {
		fmt.Fprint(p.w, "\033[H\033[2J")
	}
}

// ms formats a duration for the timeline: "12.3ms", "1.20s".
func ms(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}
