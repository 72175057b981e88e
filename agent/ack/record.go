package ack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Results of an apply as announced: the live configuration reflects the
// revision (applied, unchanged), or an apply did not go through and the
// revision is that of the last one that did (failed, refused).
const (
	ResultApplied   = "applied"
	ResultUnchanged = "unchanged"
	ResultFailed    = "failed"
	ResultRefused   = "refused"
)

// Record is one agent's announcement, the value of PREFIX/NAME.
type Record struct {
	Name string         `json:"name"`
	At   time.Time      `json:"at"` // when it was written
	Dirs map[string]Dir `json:"dirs"`
}

// Dir is what the live configuration reflects of one watched directory.
type Dir struct {
	// Revision is the etcd revision through which the reloaded configuration
	// holds every change of the directory (0: none applied yet).
	Revision int64     `json:"revision"`
	At       time.Time `json:"at"`     // the last apply touching the directory
	Result   string    `json:"result"` // one of the Result constants
	Error    string    `json:"error,omitempty"`
}

// ErrName is wrapped by the error of a name that cannot be a key's last part.
var ErrName = errors.New("invalid announcement name")

// CheckName reports whether name can name an announcement: not empty, no '/'.
func CheckName(name string) error {
	if name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("%w: %q (want a non-empty name without '/')", ErrName, name)
	}
	return nil
}

// Key is where name announces under prefix.
func Key(prefix, name string) string { return dirPrefix(prefix) + name }

// dirPrefix is prefix with exactly one trailing '/'.
func dirPrefix(prefix string) string { return strings.TrimRight(prefix, "/") + "/" }

// Marshal is the record's JSON value.
func (r Record) Marshal() []byte {
	b, err := json.Marshal(r)
	if err != nil { // a Record has no type json cannot encode
		panic(fmt.Sprintf("ack: marshal record: %v", err))
	}
	return b
}

// Parse reads a record's JSON value.
func Parse(b []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("parse announcement: %w", err)
	}
	return r, nil
}

// Covers reports whether the watched directory dir holds key: key is dir,
// or lies under dir + "/".
func Covers(dir, key string) bool {
	if dir == "/" || dir == "" {
		return strings.HasPrefix(key, "/")
	}
	d := strings.TrimRight(dir, "/")
	return key == d || strings.HasPrefix(key, d+"/")
}
