package config

import (
	"time"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

func readOrNil(path string) []byte {
	b, _ := atomicfile.ReadRegular(path) // never blocks on a FIFO
	return b
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
