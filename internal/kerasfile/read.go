// Package kerasfile reads and writes the zip container of Keras 3's native
// .keras format: metadata.json, config.json and model.weights.h5, every
// member stored (not deflated), as Keras writes them. It never reads the
// weights member: it locates it, so that HDF5 reads it in place, and it
// writes the zip around a weights file HDF5 has written. No cgo.
package kerasfile

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// The members of a .keras archive.
const (
	MetadataName = "metadata.json"
	ConfigName   = "config.json"
	WeightsName  = "model.weights.h5"
)

// maxJSON caps the JSON members read into memory.
const maxJSON = 256 << 20

// ErrNotKeras is returned for a zip archive that holds no Keras model.
var ErrNotKeras = errors.New("not a Keras .keras archive")

// Archive is an open .keras file: its small members read, the weights
// member located.
type Archive struct {
	Path string
	// Metadata and Config are metadata.json (nil if absent) and config.json.
	Metadata, Config []byte
	// KerasVersion and DateSaved are metadata.json's fields ("" if absent).
	KerasVersion, DateSaved string
	// WeightsOffset and WeightsSize locate model.weights.h5's bytes.
	WeightsOffset, WeightsSize int64
}

// IsZip reports a file that starts as a zip archive does.
func IsZip(r io.ReaderAt) bool {
	var b [4]byte
	n, _ := r.ReadAt(b[:], 0)
	return n == 4 && string(b[:]) == "PK\x03\x04"
}

// Open reads the archive at path. Errors name the file and the member.
func Open(name string) (*Archive, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a, err := read(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a.Path = name
	return a, nil
}

func read(r io.ReaderAt, size int64) (*Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a readable zip archive (truncated or damaged?): %v", unzipMsg(err))
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		if err := checkMember(f, members); err != nil {
			return nil, err
		}
		members[f.Name] = f
	}
	if err := checkKnown(members); err != nil {
		return nil, err
	}
	a := &Archive{}
	wf := members[WeightsName]
	if a.WeightsOffset, err = wf.DataOffset(); err != nil {
		return nil, fmt.Errorf("member %q: %v", WeightsName, unzipMsg(err))
	}
	a.WeightsSize = int64(wf.UncompressedSize64)
	if a.WeightsOffset+a.WeightsSize > size {
		return nil, fmt.Errorf("member %q is truncated: it declares %d bytes, the archive holds %d after its header", WeightsName, a.WeightsSize, max(size-a.WeightsOffset, 0))
	}
	if a.Config, err = readSmall(members[ConfigName], size); err != nil {
		return nil, err
	}
	if mf := members[MetadataName]; mf != nil {
		if a.Metadata, err = readSmall(mf, size); err != nil {
			return nil, err
		}
		var meta struct {
			KerasVersion string `json:"keras_version"`
			DateSaved    string `json:"date_saved"`
		}
		if err := json.Unmarshal(a.Metadata, &meta); err != nil {
			return nil, fmt.Errorf("member %q is not a JSON object", MetadataName)
		}
		a.KerasVersion, a.DateSaved = meta.KerasVersion, meta.DateSaved
	}
	return a, nil
}

// checkMember refuses names that leave the archive's folder, duplicates,
// compressed members and stored sizes that disagree.
func checkMember(f *zip.File, seen map[string]*zip.File) error {
	n := f.Name
	if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, "\\") || strings.Contains(n, "\x00") ||
		(len(n) > 1 && n[1] == ':') || path.Clean("/"+n) != "/"+strings.TrimSuffix(n, "/") {
		return fmt.Errorf("member %q: unsafe name (it leaves the archive's folder)", n)
	}
	if seen[n] != nil {
		return fmt.Errorf("member %q is in the archive twice", n)
	}
	if f.Method != zip.Store {
		return fmt.Errorf("member %q is compressed (method %d); Keras writes every member stored, and modelsurg reads only those", n, f.Method)
	}
	if f.CompressedSize64 != f.UncompressedSize64 {
		return fmt.Errorf("member %q is stored but declares %d bytes unpacked from %d", n, f.UncompressedSize64, f.CompressedSize64)
	}
	return nil
}

// checkKnown requires config.json and model.weights.h5, and refuses by
// name what modelsurg does not read: sharded or npz weights, assets.
func checkKnown(members map[string]*zip.File) error {
	if members[ConfigName] == nil {
		return fmt.Errorf("%w: no %s member", ErrNotKeras, ConfigName)
	}
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	// The forms Keras writes and modelsurg does not read are named first,
	// then any other member: the message is the same for the same archive.
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, ".weights.json"):
			return fmt.Errorf("member %q: sharded weights are not supported", n)
		case strings.HasSuffix(n, ".npz"):
			return fmt.Errorf("member %q: npz weights are not supported (save with weights_format=\"h5\")", n)
		case n == "assets/" || strings.HasPrefix(n, "assets/"):
			return fmt.Errorf("member %q: models with assets are not supported", n)
		}
	}
	for _, n := range names {
		if n != ConfigName && n != MetadataName && n != WeightsName {
			return fmt.Errorf("member %q: not a member Keras writes", n)
		}
	}
	if members[WeightsName] == nil {
		return fmt.Errorf("%w: no %s member", ErrNotKeras, WeightsName)
	}
	return nil
}

// readSmall reads a JSON member whole, checking its CRC.
func readSmall(f *zip.File, archiveSize int64) ([]byte, error) {
	if f.UncompressedSize64 > maxJSON || int64(f.UncompressedSize64) > archiveSize {
		return nil, fmt.Errorf("member %q declares %d bytes, more than the archive holds", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("member %q: %v", f.Name, unzipMsg(err))
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("member %q is truncated", f.Name)
		}
		return nil, fmt.Errorf("member %q: %v", f.Name, unzipMsg(err))
	}
	return b, nil
}

// unzipMsg drops archive/zip's "zip: " prefix.
func unzipMsg(err error) string {
	return strings.TrimPrefix(err.Error(), "zip: ")
}
