package h5model

// #include <hdf5.h>
//
// // msv_read_rows reads rows [r0, r0+nr) along the first dimension of the
// // dataset at path into buf (n values, n = nr * the row's size), converted
// // by HDF5 to native floats (f32) or doubles. A scalar dataset is one row.
// static int msv_read_rows(hid_t loc, const char *path, long long r0, long long nr, void *buf, long long n, int f32) {
// 	hid_t mt = f32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
// 	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
// 	if (d < 0) return -1;
// 	hid_t fs = H5Dget_space(d);
// 	int rc = -1, rank = fs < 0 ? -1 : H5Sget_simple_extent_ndims(fs);
// 	if (rank == 0) {
// 		if (r0 == 0 && nr == 1 && n == 1)
// 			rc = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
// 	} else if (rank > 0 && rank <= 32) {
// 		hsize_t dims[32], start[32], count[32];
// 		long long elems = 1;
// 		H5Sget_simple_extent_dims(fs, dims, NULL);
// 		for (int i = 0; i < rank; i++) { start[i] = 0; count[i] = dims[i]; }
// 		start[0] = (hsize_t)r0; count[0] = (hsize_t)nr;
// 		for (int i = 0; i < rank; i++) elems *= (long long)count[i];
// 		if (r0 >= 0 && nr >= 0 && (hsize_t)(r0 + nr) <= dims[0] && elems == n) {
// 			if (n == 0) {
// 				rc = 0;
// 			} else if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0) {
// 				hsize_t m = (hsize_t)n;
// 				hid_t ms = H5Screate_simple(1, &m, NULL);
// 				if (ms >= 0) {
// 					rc = H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0 ? -1 : 0;
// 					H5Sclose(ms);
// 				}
// 			}
// 		}
// 	}
// 	if (fs >= 0) H5Sclose(fs);
// 	H5Dclose(d);
// 	return rc;
// }
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/modelsurg/modelsurg/internal/model"
)

// ReadRows reads rows [row, row+rows) of a weight (along its first
// dimension; a scalar is one row) into dst, whose length must be rows
// times the size of one row, as float64: every float dtype converts
// exactly, integers up to 2^53. A weight whose Src is not a dataset of a
// file reads its Float32 values. Only that part of the dataset is read, so a caller bounds its
// memory whatever the weight's size.
func ReadRows(w *model.Weight, row, rows int, dst []float64) error {
	s, ok := w.Src.(*src)
	if !ok || s.bf16 {
		if w.Src == nil {
			return fmt.Errorf("weight %q has no values", w.Name)
		}
		data, err := w.Src.Float32()
		if err != nil {
			return err
		}
		per := len(dst) / max(rows, 1)
		if row < 0 || (row+rows)*per > len(data) {
			return fmt.Errorf("weight %q: rows %d..%d out of range", w.Name, row, row+rows)
		}
		for i := range dst {
			dst[i] = float64(data[row*per+i])
		}
		return nil
	}
	leave := enter()
	defer leave()
	g, err := layerGroup(s.file, s.group)
	if err != nil {
		return err
	}
	defer closeGroup(g)
	p, free := cstr(s.path)
	defer free()
	// Go memory holding no Go pointers may be passed to C. A float32
	// dataset is read as stored and widened here, faster than HDF5 converts.
	var buf unsafe.Pointer
	var f32 []float32
	switch {
	case len(dst) == 0:
	case w.DType == "float32":
		f32 = make([]float32, len(dst))
		buf = unsafe.Pointer(&f32[0])
	default:
		buf = unsafe.Pointer(&dst[0])
	}
	if C.msv_read_rows(g, p, C.longlong(row), C.longlong(rows), buf, C.longlong(len(dst)), f32Flag(f32)) < 0 {
		return fmt.Errorf("cannot read dataset %q", s.path)
	}
	for i, v := range f32 {
		dst[i] = float64(v)
	}
	return nil
}

// f32Flag tells msv_read_rows to read native floats into a float32 buffer.
func f32Flag(f32 []float32) C.int {
	if f32 != nil {
		return 1
	}
	return 0
}
