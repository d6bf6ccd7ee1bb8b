package plot

import "github.com/modelsurg/modelsurg/internal/outfile"

// ErrExists is returned when the output exists and force is not set.
var ErrExists = outfile.ErrExists

// WriteFile writes data to path as every modelsurg output is written (see
// internal/outfile).
func WriteFile(path string, data []byte, force bool, inputs ...string) error {
	return outfile.WriteBytes(path, data, force, inputs...)
}

// RemoveTemps deletes the temporary files of writes still under way, for a
// command that is interrupted.
func RemoveTemps() { outfile.RemoveTemps() }
