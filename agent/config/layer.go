package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Sources are the layers of a configuration above the defaults (see Layer).
type Sources struct {
	File         string        // confwatch.toml
	FileOptional bool          // a missing File is no error (it was not named)
	ConfdFile    string        // confd.toml; "" for confd.toml in the confdir
	ConfdNamed   bool          // ConfdFile was named: a missing one is an error
	Over         func(*Config) // environment and flags, applied last
	// LogLevel replaces Default's log level ("" keeps it): interactive
	// commands log warnings only unless a layer asks for more, so their
	// output is not mixed with the agent's info lines.
	LogLevel string
}

// Layer builds defaults < confd.toml < File < Over, without validating the
// result. The confdir that decides where confd.toml is comes from every layer
// (a flag can move it). Errors name the file at fault.
func Layer(src Sources) (Config, ConfdResult, error) {
	cfg := Default()
	if src.LogLevel != "" {
		cfg.LogLevel = src.LogLevel
	}
	var res ConfdResult
	if err := LoadFile(src.File, &Config{}, src.FileOptional); err != nil {
		return cfg, res, err
	}
	probe := Default()
	_ = LoadFile(src.File, &probe, true) // checked above
	src.Over(&probe)
	confdFile := filepath.Join(probe.ConfDir, "confd.toml")
	if src.ConfdFile != "" {
		confdFile = src.ConfdFile
	}
	if _, err := os.Stat(confdFile); err == nil {
		if res, err = LoadConfd(confdFile, &cfg); err != nil {
			return cfg, res, err
		}
	} else if src.ConfdNamed && errors.Is(err, fs.ErrNotExist) {
		return cfg, res, fmt.Errorf("confd configuration %s: %w", confdFile, err)
	}
	if err := LoadFile(src.File, &cfg, src.FileOptional); err != nil {
		return cfg, res, err
	}
	src.Over(&cfg)
	return cfg, res, nil
}
