package config

import (
	"os"
	"time"
)

func readOrNil(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
