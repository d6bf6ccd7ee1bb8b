package plot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrExists is returned when the output exists and force is not set.
var ErrExists = errors.New("output file exists (use --force to replace it)")

// WriteFile writes data to path as every modelsurg output is written: it
// refuses an output that is one of the inputs, a folder, or (without
// force) an existing file; the data goes to a temporary file beside it,
// synced, then renamed into place, so no partial file is ever left.
func WriteFile(path string, data []byte, force bool, inputs ...string) (err error) {
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
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: cannot write in %s: %w", path, dir, pe.Err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	inflight.Store(f.Name(), true)
	defer func() {
		inflight.Delete(f.Name())
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// inflight holds the temporary files being written, for RemoveTemps.
var inflight sync.Map

// RemoveTemps deletes the temporary files of writes still under way, for a
// command that is interrupted.
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
