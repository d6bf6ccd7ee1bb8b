package kerasfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
)

// A .keras file is written in one pass over the weights: HDF5 writes
// model.weights.h5 with a user block (bytes at the start of the file it
// leaves alone) of 512 bytes, its smallest; Finish fills it with the
// weights member's local header, padded so that the member's data starts
// exactly where HDF5's file starts, then appends metadata.json,
// config.json and the central directory. The weights member comes first
// (Keras writes it last): its data must start at a power of two, which a
// config of any size in front of it would not allow. Readers find members
// through the central directory, so the order is free. Members are stored
// and dated 1980-01-01 00:00, as Keras dates its JSON members, so the same
// model gives the same bytes.

const (
	localHeaderLen = 30
	dosDate1980    = 1<<5 | 1 // 1980-01-01
	versionNeeded  = 20
	versionMadeBy  = 3<<8 | 20 // Unix, 2.0: as Python's zipfile writes
	externalAttrs  = 0o600 << 16
	paddingID      = 0xd935 // the alignment extra field zipalign writes
	maxSize32      = 1<<32 - 1
	// UserBlock is the offset at which model.weights.h5 starts: the user
	// block size to create it with.
	UserBlock = 512
)

// Writer lays out one .keras archive.
type Writer struct {
	metadata, config []byte
}

// NewWriter plans an archive holding metadata and config besides the weights.
func NewWriter(metadata, config []byte) (*Writer, error) {
	if len(metadata)+len(config) > maxSize32 {
		return nil, errors.New("config.json is larger than 4 GiB")
	}
	return &Writer{metadata: metadata, config: config}, nil
}

// entry is one member as the central directory records it.
type entry struct {
	name      string
	crc, size uint32
	offset    uint32
}

// Finish completes the archive in f, whose bytes from UserBlock to its end
// are model.weights.h5 as HDF5 wrote it; known are ranges of it whose CRC
// is known (see crcOf).
func (w *Writer) Finish(f *os.File, known []Known) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	end := st.Size()
	wsize := end - UserBlock
	if wsize <= 0 {
		return errors.New("the weights file is empty")
	}
	if end+int64(len(w.metadata)+len(w.config))+1<<16 > maxSize32 {
		return errors.New("the archive would be larger than 4 GiB (zip64 is not supported)")
	}
	wcrc, err := crcOf(f, UserBlock, wsize, known)
	if err != nil {
		return err
	}
	we := entry{name: WeightsName, crc: wcrc, size: uint32(wsize)}
	head := appendLocal(nil, we, UserBlock-localHeaderLen-len(WeightsName))
	if len(head) != UserBlock {
		return fmt.Errorf("zip header is %d bytes, not %d", len(head), UserBlock)
	}
	if _, err := f.WriteAt(head, 0); err != nil {
		return err
	}
	entries := []entry{we}
	var tail []byte
	for _, m := range []struct {
		name string
		b    []byte
	}{{MetadataName, w.metadata}, {ConfigName, w.config}} {
		e := entry{name: m.name, crc: crc32.ChecksumIEEE(m.b), size: uint32(len(m.b)), offset: uint32(end) + uint32(len(tail))}
		tail = appendLocal(tail, e, 0)
		tail = append(tail, m.b...)
		entries = append(entries, e)
	}
	tail = append(tail, central(entries, uint32(end)+uint32(len(tail)))...)
	_, err = f.WriteAt(tail, end)
	return err
}

func appendLocal(b []byte, e entry, pad int) []byte {
	le := binary.LittleEndian
	b = le.AppendUint32(b, 0x04034b50)
	b = le.AppendUint16(b, versionNeeded)
	b = le.AppendUint16(b, 0) // flags
	b = le.AppendUint16(b, 0) // stored
	b = le.AppendUint16(b, 0) // time 00:00:00
	b = le.AppendUint16(b, dosDate1980)
	b = le.AppendUint32(b, e.crc)
	b = le.AppendUint32(b, e.size)
	b = le.AppendUint32(b, e.size)
	b = le.AppendUint16(b, uint16(len(e.name)))
	b = le.AppendUint16(b, uint16(pad))
	b = append(b, e.name...)
	if pad > 0 {
		b = le.AppendUint16(b, paddingID)
		b = le.AppendUint16(b, uint16(pad-4))
		b = append(b, make([]byte, pad-4)...)
	}
	return b
}

// central returns the central directory of entries, starting at off, and
// the end-of-central-directory record.
func central(entries []entry, off uint32) []byte {
	le := binary.LittleEndian
	var b []byte
	for _, e := range entries {
		b = le.AppendUint32(b, 0x02014b50)
		b = le.AppendUint16(b, versionMadeBy)
		b = le.AppendUint16(b, versionNeeded)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, dosDate1980)
		b = le.AppendUint32(b, e.crc)
		b = le.AppendUint32(b, e.size)
		b = le.AppendUint32(b, e.size)
		b = le.AppendUint16(b, uint16(len(e.name)))
		b = le.AppendUint16(b, 0) // extra
		b = le.AppendUint16(b, 0) // comment
		b = le.AppendUint16(b, 0) // disk
		b = le.AppendUint16(b, 0) // internal attributes
		b = le.AppendUint32(b, externalAttrs)
		b = le.AppendUint32(b, e.offset)
		b = append(b, e.name...)
	}
	size := uint32(len(b))
	b = le.AppendUint32(b, 0x06054b50)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, uint16(len(entries)))
	b = le.AppendUint16(b, uint16(len(entries)))
	b = le.AppendUint32(b, size)
	b = le.AppendUint32(b, off)
	b = le.AppendUint16(b, 0)
	return b
}
