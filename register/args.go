package register

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// NoArguments is nil when args is empty, else the error wrapping ErrInvalid
// that says register takes flags only, quoting each argument.
func NoArguments(args []string) error {
	if len(args) == 0 {
		return nil
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return invalid("unexpected argument%s %s: register takes flags only (quote a value with spaces)",
		map[bool]string{true: "s"}[len(args) > 1], strings.Join(q, " "))
}

// ValueFrom is the value to register from --value (plain) or --value-json
// (jsonText), nil when not given: exactly one of them, not empty, and valid
// JSON for --value-json (see JSONValue). Errors wrap ErrInvalid and never
// quote the value.
func ValueFrom(plain, jsonText *string) (string, error) {
	name, env, v := "value", "CONFWATCH_REGISTER_VALUE", plain
	if jsonText != nil {
		name, env, v = "value-json", "CONFWATCH_REGISTER_VALUE_JSON", jsonText
	}
	switch {
	case plain != nil && jsonText != nil:
		return "", invalid("--value and --value-json are mutually exclusive")
	case v == nil:
		return "", invalid("--value or --value-json is required")
	case *v == "":
		return "", invalid("--%s (or %s) is empty (an unset variable in the unit file?)", name, env)
	case plain != nil:
		return *plain, nil
	}
	s, err := JSONValue(*jsonText)
	if err != nil {
		return "", fmt.Errorf("--value-json: %w", err)
	}
	return s, nil
}

// SecondSignal returns a channel closed when the second SIGTERM or SIGINT
// from now on arrives: the command's context ends on the first, so the
// second is the one that cuts a drain short (Options.CutDrain). release stops
// listening (and the goroutine); it must be called once.
func SecondSignal() (cut <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	c, done := make(chan struct{}), make(chan struct{})
	go func() {
		for n := 0; n < 2; {
			select {
			case <-sigs:
				n++
			case <-done:
				return
			}
		}
		close(c)
	}()
	return c, func() { signal.Stop(sigs); close(done) }
}
