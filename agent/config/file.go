package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/confwatch/confwatch/agent/diag"
)

// LoadFile decodes the confwatch TOML file at path over c, strictly: unknown
// keys are errors with file and line. A missing file is not an error when
// optional is true (the default path may be absent).
func LoadFile(path string, c *Config, optional bool) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && optional {
		return nil
	}
	_, probs, err := diag.DecodeTOML(path, c, nil)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return probs.Err()
}
