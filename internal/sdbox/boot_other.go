//go:build !linux

package sdbox

import "fmt"

func preflight() error { return fmt.Errorf("%w: Linux only", errSkip) }

func (b *Box) boot([]UnitFile) error { return fmt.Errorf("%w: Linux only", errSkip) }

func (b *Box) teardown() error { return nil }
