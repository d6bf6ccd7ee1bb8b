// Package outfile writes a command's output as every modelsurg output is
// written: never over one of its inputs, a folder or (without force) an
// existing file; into a temporary file beside the output, synced, then
// renamed into place, so an error, a kill or Ctrl-C never leaves a partial
// file.
package outfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrExists is returned when the output exists and force is not set.
var ErrExists = errors.New("output file exists (use --force to replace it)")

// Write lets write fill a temporary file (a path that does not exist yet:
// HDF5 creates its files exclusively) beside path, then syncs and renames
// it. Errors name path.
func Write(path string, inputs []string, force bool, write func(tmp string) error) (err error) {
	for _, in := range inputs {
		if same, err := samePath(path, in); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		} else if same {
			return fmt.Errorf("%s: output is the input file; write to another path", path)
		}
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("%s: is a directory", path)
		}
		if !force {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	dir := filepath.Dir(path)
	tf, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: cannot write in %s: %w", path, dir, pe.Err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := tf.Name()
	tf.Close()
	os.Remove(tmp)
	inflight.Store(tmp, true)
	defer func() {
		inflight.Delete(tmp)
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteBytes is Write for data held in memory.
func WriteBytes(path string, data []byte, force bool, inputs ...string) error {
	return Write(path, inputs, force, func(tmp string) error {
		return os.WriteFile(tmp, data, 0o644)
	})
}

// inflight holds the temporary files being written, for RemoveTemps.
var inflight sync.Map

// RemoveTemps deletes the temporary files of writes still under way. A
// command calls it when interrupted, before it exits.
func RemoveTemps() {
	inflight.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		return true
	})
}

func samePath(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if aa == bb {
		return true, nil
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb), nil
}

func syncFile(path string) error {
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := fh.Sync(); err != nil {
		return err
	}
	return fh.Close()
}
