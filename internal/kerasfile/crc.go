package kerasfile

import (
	"hash/crc32"
	"os"
	"slices"
)

// Known is a range of the archive whose CRC-32 (IEEE) the writer of its
// bytes computed as it wrote them: the weight data a surgery copies.
type Known struct {
	Off, Len int64
	CRC      uint32
}

// crcOf returns the CRC-32 of the n bytes of f from off: the known
// ranges inside it are combined from their CRCs, the rest (HDF5's
// metadata, a few hundred kB) is read back. Ranges that overlap or leave
// [off, off+n) are not trusted: then every byte is read.
func crcOf(f *os.File, off, n int64, known []Known) (uint32, error) {
	ks := slices.Clone(known)
	slices.SortFunc(ks, func(a, b Known) int { return int(a.Off - b.Off) })
	pos := off
	for _, k := range ks {
		if k.Off < pos || k.Len < 0 || k.Off+k.Len > off+n {
			return readCRC(f, off, n, 0)
		}
		pos = k.Off + k.Len
	}
	var crc uint32
	pos = off
	for _, k := range ks {
		var err error
		if crc, err = readCRC(f, pos, k.Off-pos, crc); err != nil {
			return 0, err
		}
		crc = crc32Combine(crc, k.CRC, k.Len)
		pos = k.Off + k.Len
	}
	return readCRC(f, pos, off+n-pos, crc)
}

// readCRC continues crc over the n bytes of f from off, through a small buffer.
func readCRC(f *os.File, off, n int64, crc uint32) (uint32, error) {
	buf := make([]byte, min(n, 1<<20))
	for done := int64(0); done < n; {
		b := buf[:min(int64(len(buf)), n-done)]
		if _, err := f.ReadAt(b, off+done); err != nil {
			return 0, err
		}
		crc = crc32.Update(crc, crc32.IEEETable, b)
		done += int64(len(b))
	}
	return crc, nil
}

// crc32Combine returns the CRC-32 of A followed by B from A's CRC, B's
// CRC and B's length: A's CRC times x^(8·lenB) modulo the CRC polynomial,
// plus B's (the CRC is linear over GF(2); zlib's crc32_combine computes
// the same). The standard library has no such function.
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	return mulModP(xPow8n(lenB), crcA) ^ crcB
}

// Polynomials are 32-bit words in reflected order, as the IEEE CRC uses
// them: the bit 1<<31 is x^0.
const reflectedIEEE = 0xedb88320

// mulModP returns a·b modulo the CRC polynomial.
func mulModP(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ reflectedIEEE
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) modulo the CRC polynomial, by squaring.
func xPow8n(n int64) uint32 {
	p := uint32(1) << 31  // x^0
	sq := uint32(1) << 23 // x^8
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			p = mulModP(sq, p)
		}
		sq = mulModP(sq, sq)
	}
	return p
}
