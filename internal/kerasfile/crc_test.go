package kerasfile

import (
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestCRC32Combine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 7, 8, 100, 4096, 100003} {
		a, b := make([]byte, r.IntN(300)), make([]byte, n)
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(n)); got != want {
			t.Errorf("len(B) %d: combined %08x, want %08x", n, got, want)
		}
	}
}

// crcOf gives the CRC of the whole range however it is split into known
// ranges and gaps, and reads every byte when the ranges cannot be trusted.
func TestCRCOfKnownRanges(t *testing.T) {
	data := make([]byte, 70000)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const off = 512
	want := crc32.ChecksumIEEE(data[off:])
	known := func(a, b int64) Known { return Known{Off: a, Len: b - a, CRC: crc32.ChecksumIEEE(data[a:b])} }
	wrong := Known{Off: 1000, Len: 10, CRC: 1}
	for name, ks := range map[string][]Known{
		"none":          nil,
		"all":           {known(off, 70000)},
		"unsorted gaps": {known(60000, 69000), known(600, 1000), known(1000, 30000)},
		"empty range":   {known(5000, 5000)},
		"overlap":       {known(600, 2000), known(1500, 3000), wrong},
		"outside":       {known(0, 600)},
	} {
		got, err := crcOf(f, off, int64(len(data))-off, ks)
		if err != nil || got != want {
			t.Errorf("%s: crc %08x, %v; want %08x", name, got, err, want)
		}
	}
}
