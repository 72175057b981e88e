package logging

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// NewJournalHandler returns a handler for a stderr that journald reads: each record is one
// line "<N>message key=value ...", where <N> is the sd-daemon(3) priority (<3> error, <4>
// warning, <6> info, <7> debug), with no timestamp (journald adds its own). Attributes and
// groups are formatted as by slog.TextHandler, which quotes values holding newlines; CR
// and LF in the message are written as \r and \n. opts may be nil.
func NewJournalHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	o := slog.HandlerOptions{}
	if opts != nil {
		o = *opts
	}
	user := o.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if lvl, ok := a.Value.Any().(slog.Level); ok && len(groups) == 0 && a.Key == slog.LevelKey {
			return slog.String(slog.LevelKey, strconv.Itoa(priority(lvl)))
		}
		if user != nil {
			return user(groups, a)
		}
		return a
	}
	return journalHandler{slog.NewTextHandler(&journalWriter{w: w}, &o)}
}

// journalHandler drops the record time, so the text handler leaves it out.
type journalHandler struct{ text slog.Handler }

func (h journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.text.Enabled(ctx, l)
}

func (h journalHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Time = time.Time{}
	return h.text.Handle(ctx, r)
}

func (h journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return journalHandler{h.text.WithAttrs(as)}
}

func (h journalHandler) WithGroup(name string) slog.Handler {
	return journalHandler{h.text.WithGroup(name)}
}

// priority maps a slog level to an sd-daemon priority.
func priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

// journalWriter rewrites the text handler's lines, `level=N msg=M attrs...`, into
// `<N>M attrs...`. The text handler calls Write once per record, under its lock.
type journalWriter struct{ w io.Writer }

var msgEscaper = strings.NewReplacer("\r", `\r`, "\n", `\n`)

func (jw *journalWriter) Write(p []byte) (int, error) {
	line := string(bytes.TrimSuffix(p, []byte("\n")))
	prio, rest, _ := strings.Cut(strings.TrimPrefix(line, slog.LevelKey+"="), " ")
	rest = strings.TrimPrefix(rest, slog.MessageKey+"=")
	msg, attrs := splitMessage(rest)
	out := "<" + prio + ">" + msgEscaper.Replace(msg)
	if msg != "" && attrs != "" {
		out += " "
	}
	out += attrs
	if _, err := io.WriteString(jw.w, out+"\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}

// splitMessage splits the text handler's msg value, quoted or bare, from the attributes.
func splitMessage(s string) (msg, attrs string) {
	if q, err := strconv.QuotedPrefix(s); err == nil {
		if m, err := strconv.Unquote(q); err == nil {
			return m, strings.TrimPrefix(s[len(q):], " ")
		}
	}
	msg, attrs, _ = strings.Cut(s, " ")
	return msg, attrs
}
