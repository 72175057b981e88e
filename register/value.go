package register

import (
	"encoding/json"
	"errors"
	"fmt"
)

// JSONValue returns s unchanged when it is exactly one valid JSON value, else
// an error wrapping ErrInvalid. The error does not quote s (a value may be
// secret); it gives the byte offset of the problem.
func JSONValue(s string) (string, error) {
	if json.Valid([]byte(s)) {
		return s, nil
	}
	var v any
	err := json.Unmarshal([]byte(s), &v)
	if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
		return "", fmt.Errorf("%w: value is not valid JSON (at byte %d)", ErrInvalid, se.Offset)
	}
	return "", fmt.Errorf("%w: value is not valid JSON", ErrInvalid)
}
