package flagerr

import (
	"errors"
	"strings"
	"testing"
)

func TestDescribeKeepsUnknownErrors(t *testing.T) {
	if got := Describe(errors.New("something else"), nil); got != "something else" {
		t.Errorf("got %q", got)
	}
	if got := Describe(errors.New("flag provided but not defined: -x"), nil); !strings.HasPrefix(got, "--x: no such flag") {
		t.Errorf("got %q", got)
	}
}
