package render

import (
	"errors"
	"fmt"
	"strconv"
)

// atoi is strconv.Atoi whose error does not quote the value: values come
// from etcd, may be secrets, and template errors reach logs and STATUS=.
func atoi(s string) (int, error) {
	n, err := strconv.Atoi(s)
	return n, redact("atoi", s, err)
}

// parseBool is strconv.ParseBool with the same redaction as atoi.
func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	return b, redact("parseBool", s, err)
}

func redact(fn, s string, err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("%s: a value of %d bytes: %w", fn, len(s), ne.Err)
	}
	return err
}
