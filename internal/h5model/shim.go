package h5model

// #cgo linux CFLAGS: -I/usr/include/hdf5/serial
// #cgo linux LDFLAGS: -L/usr/lib/x86_64-linux-gnu/hdf5/serial -L/usr/lib/aarch64-linux-gnu/hdf5/serial -lhdf5
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/numeric"
)

// enter pins the goroutine to its thread and silences HDF5's error printing
// there: the library is thread-safe, so its error settings are per thread.
func enter() (leave func()) {
	runtime.LockOSThread()
	C.ms_quiet()
	return runtime.UnlockOSThread
}

type hid = C.hid_t

func cstr(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

func goStrings(v **C.char, n C.int) []string {
	if n == 0 || v == nil {
		return nil
	}
	ps := unsafe.Slice(v, int(n))
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = C.GoString(p)
	}
	return out
}

func children(loc hid) ([]string, error) {
	var v **C.char
	var n C.int
	if C.ms_children(loc, &v, &n) < 0 {
		return nil, errors.New("cannot list group members")
	}
	defer C.ms_free_strings(v, n)
	return goStrings(v, n), nil
}

func attrNames(loc hid) ([]string, error) {
	var v **C.char
	var n C.int
	if C.ms_attr_names(loc, &v, &n) < 0 {
		return nil, errors.New("cannot list attributes")
	}
	defer C.ms_free_strings(v, n)
	return goStrings(v, n), nil
}

func attrExists(loc hid, name string) bool {
	p, free := cstr(name)
	defer free()
	return C.ms_attr_exists(loc, p) > 0
}

// errNotString is returned by readStrings for an attribute of another type.
type errNotString struct{ n int }

func (e errNotString) Error() string { return fmt.Sprintf("not a string attribute (%d values)", e.n) }

// readStrings reads a string attribute, scalar or 1-D, fixed or variable
// length. scalar reports a scalar attribute.
func readStrings(loc hid, name string) (vals []string, scalar bool, err error) {
	p, free := cstr(name)
	defer free()
	var v **C.char
	var lens *C.int
	var n, sc, cls C.int
	switch C.ms_attr_read_strings(loc, p, &v, &lens, &n, &sc, &cls) {
	case 0:
	case -2:
		return nil, sc != 0, errNotString{int(n)}
	default:
		return nil, false, fmt.Errorf("cannot read attribute %q", name)
	}
	defer C.free(unsafe.Pointer(lens))
	defer C.ms_free_strings(v, n)
	ps := unsafe.Slice(v, int(n))
	ls := unsafe.Slice(lens, int(n))
	vals = make([]string, n)
	for i := range ps {
		vals[i] = C.GoStringN(ps[i], ls[i])
	}
	return vals, sc != 0, nil
}

func writeStr(loc hid, name, s string, utf8 bool) error {
	p, free := cstr(name)
	defer free()
	sp, sfree := cstr(s)
	defer sfree()
	u := C.int(0)
	if utf8 {
		u = 1
	}
	if C.ms_attr_write_str(loc, p, sp, C.int(len(s)), u) < 0 {
		return fmt.Errorf("cannot write attribute %q", name)
	}
	return nil
}

func writeVlenStrings(loc hid, name string, ss []string) error {
	p, free := cstr(name)
	defer free()
	arr := C.malloc(C.size_t(max(len(ss), 1)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	defer C.free(arr)
	ptrs := unsafe.Slice((**C.char)(arr), max(len(ss), 1))
	for i, s := range ss {
		ptrs[i] = C.CString(s)
		defer C.free(unsafe.Pointer(ptrs[i]))
	}
	if C.ms_attr_write_vlen_strs(loc, p, (**C.char)(arr), C.int(len(ss))) < 0 {
		return fmt.Errorf("cannot write attribute %q", name)
	}
	return nil
}

func writeFixedStrings(loc hid, name string, ss []string, size int) error {
	p, free := cstr(name)
	defer free()
	buf := make([]byte, max(len(ss)*size, 1))
	for i, s := range ss {
		copy(buf[i*size:(i+1)*size], s)
	}
	cbuf := C.CBytes(buf)
	defer C.free(cbuf)
	if C.ms_attr_write_fixed_strs(loc, p, (*C.char)(cbuf), C.int(len(ss)), C.size_t(size)) < 0 {
		return fmt.Errorf("cannot write attribute %q", name)
	}
	return nil
}

func writeEmptyF64(loc hid, name string) error {
	p, free := cstr(name)
	defer free()
	if C.ms_attr_write_empty_f64(loc, p) < 0 {
		return fmt.Errorf("cannot write attribute %q", name)
	}
	return nil
}

func copyAttr(src hid, name string, dst hid) error {
	p, free := cstr(name)
	defer free()
	if C.ms_attr_copy(src, p, dst) < 0 {
		return fmt.Errorf("cannot copy attribute %q", name)
	}
	return nil
}

// copyObject copies a group or dataset with everything below it, file to
// file, through HDF5's object copy: data moves in bounded buffers.
func copyObject(src hid, sname string, dst hid, dname string) error {
	sp, sfree := cstr(sname)
	defer sfree()
	dp, dfree := cstr(dname)
	defer dfree()
	if C.ms_copy(src, sp, dst, dp) < 0 {
		return fmt.Errorf("cannot copy %q", sname)
	}
	return nil
}

const (
	kindMissing = 0
	kindGroup   = 1
	kindDataset = 2
)

func objKind(loc hid, path string) int {
	p, free := cstr(path)
	defer free()
	return int(C.ms_obj_kind(loc, p))
}

func createGroup(loc hid, name string) (hid, error) {
	p, free := cstr(name)
	defer free()
	g := C.ms_group_create(loc, p)
	if g < 0 {
		return -1, fmt.Errorf("cannot create group %q", name)
	}
	return g, nil
}

func closeGroup(g hid) { C.ms_group_close(g) }

type dsInfo struct {
	shape []int
	dtype string
	size  int // bytes per element
}

// datasetsInfo reads the shape and dtype of datasets under loc, in one
// call into C; a dataset that cannot be read has ok false.
func datasetsInfo(loc hid, paths ...string) (infos []dsInfo, ok []bool) {
	n := len(paths)
	if n == 0 {
		return nil, nil
	}
	const maxdims = 32
	names := make([]*C.char, n)
	for i, p := range paths {
		names[i] = C.CString(p)
	}
	defer func() {
		for _, p := range names {
			C.free(unsafe.Pointer(p))
		}
	}()
	// Go memory holding no Go pointers may be passed to C.
	dims := make([]C.longlong, n*maxdims)
	nd, cls, size, sign, rc := make([]C.int, n), make([]C.int, n), make([]C.int, n), make([]C.int, n), make([]C.int, n)
	C.ms_datasets_info(loc, &names[0], C.int(n), &dims[0], maxdims, &nd[0], &cls[0], &size[0], &sign[0], &rc[0])
	infos, ok = make([]dsInfo, n), make([]bool, n)
	for i := range n {
		if rc[i] < 0 {
			continue
		}
		shape := make([]int, nd[i])
		for j := range shape {
			shape[j] = int(dims[i*maxdims+j])
		}
		infos[i] = dsInfo{shape: shape, dtype: dtypeName(int(cls[i]), int(size[i]), sign[i] != 0), size: int(size[i])}
		ok[i] = true
	}
	return infos, ok
}

func dtypeName(cls, size int, signed bool) string {
	switch cls {
	case C.H5T_FLOAT:
		return fmt.Sprintf("float%d", size*8)
	case C.H5T_INTEGER:
		if signed {
			return fmt.Sprintf("int%d", size*8)
		}
		return fmt.Sprintf("uint%d", size*8)
	case C.H5T_STRING:
		return "string"
	case C.H5T_OPAQUE:
		return "opaque"
	}
	return fmt.Sprintf("class%d", cls)
}

func readFloat32(loc hid, path string, n int64) ([]float32, error) {
	p, free := cstr(path)
	defer free()
	buf := make([]float32, max(n, 1))
	if C.ms_dataset_read_f32(loc, p, (*C.float)(unsafe.Pointer(&buf[0])), C.longlong(n)) < 0 {
		return nil, fmt.Errorf("cannot read dataset %q", path)
	}
	return buf[:n], nil
}

// writeValues writes a weight that holds its values (not a dataset to copy)
// as dataset path under loc, stored in the weight's dtype: float32, or
// float16 / bfloat16 for values already rounded to it (surgery.Cast).
func writeValues(loc hid, path string, w *model.Weight) error {
	data, err := w.Src.Float32()
	if err != nil {
		return err
	}
	if int64(len(data)) != w.Size() {
		return fmt.Errorf("%d values for shape %v", len(data), w.Shape)
	}
	p, free := cstr(path)
	defer free()
	dims := make([]C.longlong, max(len(w.Shape), 1))
	for i, d := range w.Shape {
		dims[i] = C.longlong(d)
	}
	// Go memory holding no Go pointers may be passed to C: no copy of a
	// head that may be hundreds of MB.
	var buf unsafe.Pointer
	kind := C.int(C.MS_F32)
	switch w.DType {
	case "", "float32":
		if len(data) == 0 {
			data = []float32{0}
		}
		buf = unsafe.Pointer(&data[0])
	case "float16", "bfloat16":
		half := make([]uint16, max(len(data), 1))
		kind = C.MS_F16
		round := numeric.Float16
		if w.DType == "bfloat16" {
			kind, round = C.MS_BF16, numeric.BFloat16
		}
		for i, v := range data {
			half[i] = round(v)
		}
		buf = unsafe.Pointer(&half[0])
	default:
		return fmt.Errorf("modelsurg writes float32, float16 and bfloat16 values, not %s", w.DType)
	}
	if C.ms_dataset_write(loc, p, C.int(len(w.Shape)), &dims[0], kind, buf) < 0 {
		return fmt.Errorf("cannot write dataset %q", path)
	}
	return nil
}

// openFile opens a file to read. HDF5 drops an object's metadata from its
// cache when the object is closed (evict on close): reading a model touches
// each object once, and a small cache made Open a quarter faster (ResNet50).
func openFile(path string) (hid, error) {
	p, free := cstr(path)
	defer free()
	f := C.ms_file_open(p)
	if f < 0 {
		return -1, fmt.Errorf("cannot open %s", path)
	}
	return f, nil
}

func createFile(path string) (hid, error) {
	p, free := cstr(path)
	defer free()
	f := C.ms_file_create(p)
	if f < 0 {
		return -1, fmt.Errorf("cannot create HDF5 file")
	}
	return f, nil
}

func closeFile(f hid) error {
	if C.ms_close_file(f) < 0 {
		return errors.New("cannot close HDF5 file")
	}
	return nil
}

func openGroup(loc hid, name string) (hid, error) {
	p, free := cstr(name)
	defer free()
	g := C.ms_group_open(loc, p)
	if g < 0 {
		return -1, fmt.Errorf("cannot open group %q", name)
	}
	return g, nil
}

// openObject opens the group or dataset name under loc; closeObject closes it.
func openObject(loc hid, name string) (hid, error) {
	p, free := cstr(name)
	defer free()
	o := C.ms_obj_open(loc, p)
	if o < 0 {
		return -1, fmt.Errorf("cannot open %q", name)
	}
	return o, nil
}

func closeObject(o hid) { C.ms_obj_close(o) }

// objType is objKind for a name known to exist, reading less of the object.
func objType(loc hid, name string) int {
	p, free := cstr(name)
	defer free()
	return int(C.ms_obj_type(loc, p))
}

// treePlain reports whether copying the object at name object by object
// gives what H5Ocopy gives: see ms_tree_plain.
func treePlain(loc hid, name string) (bool, error) {
	p, free := cstr(name)
	defer free()
	switch C.ms_tree_plain(loc, p) {
	case 1:
		return true, nil
	case 0:
		return false, nil
	}
	return false, fmt.Errorf("cannot read %q", name)
}

// Results of cloneDataset.
const (
	cloneNotPlain = iota // nothing created: copy the dataset with copyObject
	cloneRange           // created: copy the returned bytes into it
	cloneEmpty           // created, no bytes to copy
)

// cloneDataset creates dname under dst like the dataset sname under src,
// storage allocated but not written, when its stored bytes can be copied
// verbatim: see ms_dataset_clone. For cloneRange it returns the source
// offset, the output offset and the length of the bytes to copy.
func cloneDataset(src hid, sname string, dst hid, dname string) (res int, soff, doff, n int64, err error) {
	sp, sfree := cstr(sname)
	defer sfree()
	dp, dfree := cstr(dname)
	defer dfree()
	var so, do, sz C.longlong
	switch r := C.ms_dataset_clone(src, sp, dst, dp, &so, &do, &sz); r {
	case 0:
		return cloneNotPlain, 0, 0, 0, nil
	case 1:
		return cloneRange, int64(so), int64(do), int64(sz), nil
	case 2:
		return cloneEmpty, 0, 0, 0, nil
	}
	return 0, 0, 0, 0, fmt.Errorf("cannot copy %q", sname)
}

// fileFD returns the descriptor HDF5 reads obj's file through, or -1 when
// that file is not one POSIX file (another HDF5 driver).
func fileFD(obj hid) int { return int(C.ms_file_fd(obj)) }

// isBFloat16 reports the "dtype": "bfloat16" attribute Keras 3 marks its
// bfloat16 variables with.
func isBFloat16(loc hid, path string) bool {
	o, err := openObject(loc, path)
	if err != nil {
		return false
	}
	defer C.ms_obj_close(o)
	v, _, err := readStrings(o, "dtype")
	return err == nil && len(v) == 1 && v[0] == "bfloat16"
}

// readBFloat16 reads n bfloat16 values, widened to float32 exactly.
func readBFloat16(loc hid, path string, n int64) ([]float32, error) {
	raw, err := readRaw(loc, path)
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) != 2*n {
		return nil, fmt.Errorf("dataset %q: %d bytes for %d bfloat16 values", path, len(raw), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
	}
	return out, nil
}

// readRaw reads a dataset's bytes as stored, in its own file datatype.
func readRaw(loc hid, path string) ([]byte, error) {
	infos, ok := datasetsInfo(loc, path)
	if !ok[0] {
		return nil, fmt.Errorf("cannot read dataset %q", path)
	}
	n := int64(infos[0].size)
	for _, d := range infos[0].shape {
		n *= int64(d)
	}
	p, free := cstr(path)
	defer free()
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("dataset %q: %d bytes is too large to read whole", path, n)
	}
	buf := C.malloc(C.size_t(max(n, 1)))
	defer C.free(buf)
	if C.ms_dataset_read_raw(loc, p, buf, C.longlong(n)) < 0 {
		return nil, fmt.Errorf("cannot read dataset %q", path)
	}
	return C.GoBytes(buf, C.int(n)), nil
}
