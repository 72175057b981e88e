package apply

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// stageInfix marks staged candidates: ".NAME.confwatch-*" beside NAME.
const stageInfix = ".confwatch-"

// writeStage writes data to a new hidden file beside dest, synced, with mode
// and owner set, and returns its path. On error nothing is left behind.
func writeStage(dest string, data []byte, a atomicfile.Attrs) (string, error) {
	path, err := atomicfile.Temp(dest, stageInfix, data, a)
	if err != nil {
		return "", fmt.Errorf("stage: %w", err) // err names dest
	}
	return path, nil
}

// swap moves the staged file over dest atomically and syncs the directory.
// When dest is a mount point (rename gives EBUSY, as for a bind-mounted
// single file) it rewrites dest in place instead and reports inPlace.
func swap(staged, dest string, data []byte, a atomicfile.Attrs) (inPlace bool, err error) {
	err = atomicfile.Rename(staged, dest)
	if errors.Is(err, syscall.EBUSY) {
		_ = os.Remove(staged)
		return true, atomicfile.Overwrite(dest, data, a)
	}
	return false, err
}

// restore puts a backup back: the old bytes, mode and owner, or no file when
// there was none.
func restore(dest string, old atomicfile.Current) error {
	if !old.Exists {
		return atomicfile.Remove(dest)
	}
	staged, err := writeStage(dest, old.Data, old.Attrs)
	if err != nil {
		return err
	}
	if _, err = swap(staged, dest, old.Data, old.Attrs); err != nil {
		_ = os.Remove(staged) // a failed rename leaves it
	}
	return err
}
