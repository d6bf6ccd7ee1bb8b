package h5model

// #include <stdlib.h>
// #include "shim.h"
import "C"

import "fmt"

// openSpan opens to read the HDF5 file stored as the size bytes at off in
// the file at path (a stored zip member), through the driver of vfd.c.
func openSpan(path string, off, size int64) (hid, error) {
	p, free := cstr(path)
	defer free()
	f := C.ms_file_open_span(p, C.longlong(off), C.longlong(size))
	if f < 0 {
		return -1, fmt.Errorf("cannot open the HDF5 member at offset %d", off)
	}
	return f, nil
}

// createFileUB creates an HDF5 file whose first ub bytes (a power of two
// of at least 512) HDF5 leaves to the caller: a zip's headers.
func createFileUB(path string, ub int64) (hid, error) {
	p, free := cstr(path)
	defer free()
	f := C.ms_file_create_ub(p, C.longlong(ub))
	if f < 0 {
		return -1, fmt.Errorf("cannot create HDF5 file")
	}
	return f, nil
}
