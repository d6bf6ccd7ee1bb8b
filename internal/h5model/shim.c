#include "shim.h"
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

void ms_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// The property lists every object creation uses, made once: creating and
// closing them per object costs as much as creating the object.
static hid_t lcpl = -1, gcpl = -1, clone_dcpl = -1;
static pthread_once_t plists_once = PTHREAD_ONCE_INIT;

static void plists_init(void) {
	lcpl = H5Pcreate(H5P_LINK_CREATE);
	H5Pset_create_intermediate_group(lcpl, 1);
	gcpl = H5Pcreate(H5P_GROUP_CREATE);
	H5Pset_obj_track_times(gcpl, 0);
	// A clone's storage is allocated at creation, so that its offset is
	// known, and never written by HDF5: Save copies the bytes into it.
	clone_dcpl = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_layout(clone_dcpl, H5D_CONTIGUOUS);
	H5Pset_alloc_time(clone_dcpl, H5D_ALLOC_TIME_EARLY);
	H5Pset_fill_time(clone_dcpl, H5D_FILL_TIME_NEVER);
	H5Pset_obj_track_times(clone_dcpl, 0);
}

// plists makes the shared property lists and reports whether it could.
static int plists(void) {
	pthread_once(&plists_once, plists_init);
	return lcpl >= 0 && gcpl >= 0 && clone_dcpl >= 0;
}

// ms_file_create creates a file whose H5Fclose closes every object still
// open in it, so that the file is complete when H5Fclose returns and HDF5
// never writes to it after Save has synced and renamed it.
hid_t ms_file_create(const char *path) {
	hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	H5Pset_obj_track_times(fcpl, 0);
	H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
	hid_t f = H5Fcreate(path, H5F_ACC_EXCL, fcpl, fapl);
	H5Pclose(fapl);
	H5Pclose(fcpl);
	return f;
}

// ms_file_open opens a file to read, with evict on close.
hid_t ms_file_open(const char *path) {
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) return -1;
	H5Pset_evict_on_close(fapl, 1);
	hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
	H5Pclose(fapl);
	return f;
}

int ms_close_file(hid_t f) { return H5Fclose(f); }
int ms_group_close(hid_t g) { return H5Gclose(g); }

hid_t ms_group_create(hid_t loc, const char *name) {
	if (!plists()) return -1;
	return H5Gcreate2(loc, name, lcpl, gcpl, H5P_DEFAULT);
}

// ms_obj_kind checks each component of path so that a missing parent is
// "missing", not an error.
int ms_obj_kind(hid_t loc, const char *path) {
	size_t n = strlen(path);
	if (n == 0 || path[0] == '/' ) return 0;
	char *buf = malloc(n + 1);
	if (!buf) return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];
			buf[i] = 0;
			htri_t ok = H5Lexists(loc, buf, H5P_DEFAULT);
			if (ok <= 0) { free(buf); return ok < 0 ? -1 : 0; }
			buf[i] = c;
		}
	}
	free(buf);
	return ms_obj_type(loc, path);
}

struct names { char **v; int n, cap; };

static int push_name(struct names *s, const char *name) {
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof(char *));
		if (!v) return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(name);
	if (!s->v[s->n]) return -1;
	s->n++;
	return 0;
}

static herr_t link_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
	(void)g; (void)info;
	return push_name(data, name) < 0 ? -1 : 0;
}

int ms_children(hid_t loc, char ***names, int *n) {
	struct names s = {0};
	hsize_t idx = 0;
	if (H5Literate(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, link_cb, &s) < 0) {
		ms_free_strings(s.v, s.n);
		return -1;
	}
	*names = s.v;
	*n = s.n;
	return 0;
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
	(void)loc; (void)info;
	return push_name(data, name) < 0 ? -1 : 0;
}

int ms_attr_names(hid_t loc, char ***names, int *n) {
	struct names s = {0};
	hsize_t idx = 0;
	if (H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, attr_cb, &s) < 0) {
		ms_free_strings(s.v, s.n);
		return -1;
	}
	*names = s.v;
	*n = s.n;
	return 0;
}

void ms_free_strings(char **v, int n) {
	for (int i = 0; i < n; i++) free(v[i]);
	free(v);
}

int ms_attr_exists(hid_t loc, const char *name) { return H5Aexists(loc, name); }

// ms_attr_read_strings returns 0 and the strings of a string attribute,
// -2 (with *n and *cls set) for another type, -1 on error.
int ms_attr_read_strings(hid_t loc, const char *name, char ***out, int **lens, int *n, int *scalar, int *cls) {
	int rc = -1;
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t ft = H5Aget_type(a), sp = H5Aget_space(a), mt = -1;
	char **v = NULL;
	int *l = NULL;
	if (ft < 0 || sp < 0) goto done;
	int nd = H5Sget_simple_extent_ndims(sp);
	hssize_t np = H5Sget_simple_extent_npoints(sp);
	if (nd < 0 || np < 0 || np > (1 << 24)) goto done;
	*scalar = nd == 0;
	*cls = H5Tget_class(ft);
	*n = (int)np;
	if (*cls != H5T_STRING) { rc = -2; goto done; }
	v = calloc(np ? np : 1, sizeof(char *));
	l = calloc(np ? np : 1, sizeof(int));
	if (!v || !l) goto done;
	if (H5Tis_variable_str(ft) > 0) {
		char **buf = calloc(np ? np : 1, sizeof(char *));
		if (!buf) goto done;
		mt = H5Tcopy(H5T_C_S1);
		H5Tset_size(mt, H5T_VARIABLE);
		H5Tset_cset(mt, H5Tget_cset(ft));
		if (H5Aread(a, mt, buf) < 0) { free(buf); goto done; }
		for (hssize_t i = 0; i < np; i++) {
			const char *s = buf[i] ? buf[i] : "";
			l[i] = (int)strlen(s);
			v[i] = malloc(l[i] + 1);
			if (v[i]) memcpy(v[i], s, l[i] + 1);
		}
		H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
		free(buf);
	} else {
		size_t sz = H5Tget_size(ft);
		if (sz == 0 || sz > (1 << 26)) goto done;
		char *raw = calloc(np ? np : 1, sz);
		if (!raw) goto done;
		mt = H5Tcopy(ft);
		if (H5Aread(a, mt, raw) < 0) { free(raw); goto done; }
		for (hssize_t i = 0; i < np; i++) {
			const char *s = raw + i * sz;
			size_t k = 0;
			while (k < sz && s[k]) k++;
			if (H5Tget_strpad(ft) == H5T_STR_SPACEPAD) while (k > 0 && s[k - 1] == ' ') k--;
			l[i] = (int)k;
			v[i] = malloc(k + 1);
			if (v[i]) { memcpy(v[i], s, k); v[i][k] = 0; }
		}
		free(raw);
	}
	for (hssize_t i = 0; i < np; i++) if (!v[i]) goto done;
	*out = v;
	*lens = l;
	v = NULL;
	l = NULL;
	rc = 0;
done:
	if (v) ms_free_strings(v, (int)*n);
	free(l);
	if (mt >= 0) H5Tclose(mt);
	if (ft >= 0) H5Tclose(ft);
	if (sp >= 0) H5Sclose(sp);
	H5Aclose(a);
	return rc;
}

static int write_attr(hid_t loc, const char *name, hid_t type, hid_t space, const void *buf) {
	if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0) return -1;
	hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) return -1;
	int rc = H5Awrite(a, type, buf) < 0 ? -1 : 0;
	H5Aclose(a);
	return rc;
}

// ms_attr_write_str writes a scalar variable-length string, as h5py does
// for bytes (ASCII) and str (UTF-8) values.
int ms_attr_write_str(hid_t loc, const char *name, const char *s, int len, int utf8) {
	(void)len;
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
	hid_t sp = H5Screate(H5S_SCALAR);
	int rc = write_attr(loc, name, t, sp, &s);
	H5Sclose(sp);
	H5Tclose(t);
	return rc;
}

int ms_attr_write_vlen_strs(hid_t loc, const char *name, const char **ss, int n) {
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_ASCII);
	hsize_t d = (hsize_t)n;
	hid_t sp = H5Screate_simple(1, &d, NULL);
	int rc = write_attr(loc, name, t, sp, ss);
	H5Sclose(sp);
	H5Tclose(t);
	return rc;
}

int ms_attr_write_fixed_strs(hid_t loc, const char *name, const char *buf, int n, size_t size) {
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, size);
	H5Tset_strpad(t, H5T_STR_NULLPAD);
	hsize_t d = (hsize_t)n;
	hid_t sp = H5Screate_simple(1, &d, NULL);
	int rc = write_attr(loc, name, t, sp, buf);
	H5Sclose(sp);
	H5Tclose(t);
	return rc;
}

int ms_attr_write_empty_f64(hid_t loc, const char *name) {
	hsize_t d = 0;
	double dummy = 0;
	hid_t sp = H5Screate_simple(1, &d, NULL);
	int rc = write_attr(loc, name, H5T_IEEE_F64LE, sp, &dummy);
	H5Sclose(sp);
	return rc;
}

// ms_attr_copy copies an attribute with its own type and shape.
int ms_attr_copy(hid_t src, const char *name, hid_t dst) {
	int rc = -1;
	hid_t a = H5Aopen(src, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
	void *buf = NULL;
	if (ft < 0 || sp < 0) goto done;
	hssize_t np = H5Sget_simple_extent_npoints(sp);
	size_t sz = H5Tget_size(ft);
	if (np < 0 || sz == 0) goto done;
	buf = calloc(np ? np : 1, sz);
	if (!buf) goto done;
	if (H5Aread(a, ft, buf) < 0) goto done;
	rc = write_attr(dst, name, ft, sp, buf);
	if (H5Tdetect_class(ft, H5T_VLEN) > 0 || H5Tis_variable_str(ft) > 0) H5Dvlen_reclaim(ft, sp, H5P_DEFAULT, buf);
done:
	free(buf);
	if (ft >= 0) H5Tclose(ft);
	if (sp >= 0) H5Sclose(sp);
	H5Aclose(a);
	return rc;
}

int ms_copy(hid_t src, const char *sname, hid_t dst, const char *dname) {
	if (!plists()) return -1;
	return H5Ocopy(src, sname, dst, dname, H5P_DEFAULT, lcpl) < 0 ? -1 : 0;
}

// dataset_info reports the shape and type of the open dataset d, and closes it.
static int dataset_info(hid_t d, long long *dims, int maxdims, int *ndims, int *cls, int *size, int *sign) {
	int rc = -1;
	hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
	if (sp < 0 || t < 0) goto done;
	int nd = H5Sget_simple_extent_ndims(sp);
	if (nd < 0 || nd > maxdims) goto done;
	hsize_t hd[H5S_MAX_RANK];
	H5Sget_simple_extent_dims(sp, hd, NULL);
	for (int i = 0; i < nd; i++) dims[i] = (long long)hd[i];
	*ndims = nd;
	*cls = H5Tget_class(t);
	*size = (int)H5Tget_size(t);
	*sign = *cls == H5T_INTEGER ? H5Tget_sign(t) : 0;
	rc = 0;
done:
	if (sp >= 0) H5Sclose(sp);
	if (t >= 0) H5Tclose(t);
	H5Dclose(d);
	return rc;
}

// link_addr is a hard link's name and the address of its object.
struct link_addr {
	char *name;
	haddr_t addr;
};

struct links {
	struct link_addr *v;
	int n, cap;
};

static herr_t collect_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
	(void)g;
	struct links *ls = data;
	if (info->type != H5L_TYPE_HARD) return 0;
	if (ls->n == ls->cap) {
		int cap = ls->cap ? 2 * ls->cap : 16;
		struct link_addr *v = realloc(ls->v, (size_t)cap * sizeof *v);
		if (!v) return -1;
		ls->v = v;
		ls->cap = cap;
	}
	ls->v[ls->n].name = strdup(name);
	if (!ls->v[ls->n].name) return -1;
	ls->v[ls->n++].addr = info->u.address;
	return 0;
}

static void free_links(struct links *ls) {
	for (int i = 0; i < ls->n; i++) free(ls->v[i].name);
	free(ls->v);
	ls->v = NULL;
	ls->n = ls->cap = 0;
}

static int cmp_link(const void *a, const void *b) {
	return strcmp(((const struct link_addr *)a)->name, ((const struct link_addr *)b)->name);
}

// open_listed opens the dataset path, whose hard link may be in ls (the
// links of its parent group at, sorted by name) as base: by address,
// without looking the name up again; otherwise by name from loc.
static hid_t open_listed(hid_t loc, const char *path, hid_t at, const char *base, const struct links *ls) {
	struct link_addr key = {(char *)base, 0};
	const struct link_addr *l = at >= 0 && ls->n > 0 ? bsearch(&key, ls->v, (size_t)ls->n, sizeof key, cmp_link) : NULL;
	if (l) {
		hid_t d = H5Oopen_by_addr(at, l->addr);
		if (d >= 0 && H5Iget_type(d) == H5I_DATASET) return d;
		if (d >= 0) H5Oclose(d);
	}
	return H5Dopen2(loc, path, H5P_DEFAULT);
}

// ms_datasets_info reads the shape (ndims, and maxdims slots of dims) and
// type class, size and sign of each of the n datasets names[i] under loc;
// rc[i] is 0, or -1 when it cannot be read.
// The links of each parent group are listed once, and each dataset opened
// by address: a third faster than a lookup by name for each (ResNet50).
void ms_datasets_info(hid_t loc, const char **names, int n, long long *dims, int maxdims, int *ndims, int *cls, int *size, int *sign, int *rc) {
	struct links ls = {0};
	hid_t at = -1;
	char *dir = NULL;
	for (int i = 0; i < n; i++) {
		const char *name = names[i];
		const char *slash = strrchr(name, '/');
		size_t len = slash ? (size_t)(slash - name) : 0;
		const char *base = slash ? slash + 1 : name;
		if (!dir || strlen(dir) != len || strncmp(dir, name, len) != 0) {
			free_links(&ls);
			if (at >= 0 && at != loc) H5Gclose(at);
			free(dir);
			dir = strndup(name, len);
			at = !dir ? -1 : len == 0 ? loc : H5Gopen2(loc, dir, H5P_DEFAULT);
			hsize_t idx = 0;
			if (at >= 0 && H5Literate(at, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_cb, &ls) < 0) free_links(&ls);
			if (ls.n > 1) qsort(ls.v, (size_t)ls.n, sizeof *ls.v, cmp_link);
		}
		// an absolute name is looked up from the root, as H5Dopen2 does
		hid_t d = name[0] == '/' ? H5Dopen2(loc, name, H5P_DEFAULT) : open_listed(loc, name, at, base, &ls);
		rc[i] = d < 0 ? -1 : dataset_info(d, dims + (size_t)i * maxdims, maxdims, ndims + i, cls + i, size + i, sign + i);
	}
	free_links(&ls);
	if (at >= 0 && at != loc) H5Gclose(at);
	free(dir);
}

int ms_dataset_read_f32(hid_t loc, const char *path, float *buf, long long n) {
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t sp = H5Dget_space(d);
	int rc = -1;
	if (sp >= 0 && H5Sget_simple_extent_npoints(sp) == n)
		rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
	if (sp >= 0) H5Sclose(sp);
	H5Dclose(d);
	return rc;
}

// write_type is the file and memory datatype of a weight written with
// kind MS_F32, MS_F16 (the IEEE half type h5py writes for numpy.float16)
// or MS_BF16 (a 2-byte opaque type, as h5py writes ml_dtypes.bfloat16).
static hid_t write_type(int kind) {
	hid_t t = -1;
	switch (kind) {
	case MS_F32:
		return H5Tcopy(H5T_IEEE_F32LE);
	case MS_F16:
		t = H5Tcopy(H5T_IEEE_F32LE);
		if (t < 0 || H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0) break;
		return t;
	case MS_BF16:
		return H5Tcreate(H5T_OPAQUE, 2);
	}
	if (t >= 0) H5Tclose(t);
	return -1;
}

// ms_dataset_write writes a weight's values: float32 values converted by
// HDF5 for MS_F32, the stored 2-byte values as they are for the others.
// A bfloat16 weight gets the "dtype" attribute Keras 3 reads it by.
int ms_dataset_write(hid_t loc, const char *path, int ndims, const long long *dims, int kind, const void *data) {
	hsize_t hd[H5S_MAX_RANK];
	if (ndims < 0 || ndims > H5S_MAX_RANK) return -1;
	for (int i = 0; i < ndims; i++) hd[i] = (hsize_t)dims[i];
	hid_t ft = write_type(kind);
	if (ft < 0) return -1;
	hid_t mt = kind == MS_F32 ? H5T_NATIVE_FLOAT : ft;
	hid_t sp = ndims == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(ndims, hd, NULL);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_obj_track_times(dcpl, 0);
	hid_t d = plists() ? H5Dcreate2(loc, path, ft, sp, lcpl, dcpl, H5P_DEFAULT) : -1;
	int rc = -1;
	if (d >= 0) {
		rc = H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0;
		if (rc == 0 && kind == MS_BF16) rc = ms_attr_write_str(d, "dtype", "bfloat16", 8, 1);
		H5Dclose(d);
	}
	H5Pclose(dcpl);
	H5Sclose(sp);
	H5Tclose(ft);
	return rc;
}

hid_t ms_group_open(hid_t loc, const char *name) { return H5Gopen2(loc, name, H5P_DEFAULT); }
hid_t ms_obj_open(hid_t loc, const char *name) { return H5Oopen(loc, name, H5P_DEFAULT); }
int ms_obj_close(hid_t o) { return H5Oclose(o); }

// obj_basic reads an object's type and link count, without the header and
// attribute fields that H5Oget_info_by_name1 also computes.
static int obj_basic(hid_t loc, const char *name, H5O_type_t *type, unsigned *rc) {
#if H5_VERSION_GE(1, 12, 0)
	H5O_info2_t info;
	if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
#else
	H5O_info_t info;
	if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
#endif
	*type = info.type;
	*rc = info.rc;
	return 0;
}

int ms_obj_type(hid_t loc, const char *name) {
	H5O_type_t type;
	unsigned rc;
	if (obj_basic(loc, name, &type, &rc) < 0) return -1;
	switch (type) {
	case H5O_TYPE_GROUP: return 1;
	case H5O_TYPE_DATASET: return 2;
	default: return 3;
	}
}

static herr_t plain_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
	(void)data;
	H5O_type_t type;
	unsigned rc;
	if (info->type != H5L_TYPE_HARD) return 1;
	if (obj_basic(g, name, &type, &rc) < 0) return -1;
	if (rc != 1 || (type != H5O_TYPE_GROUP && type != H5O_TYPE_DATASET)) return 1;
	return 0;
}

// ms_tree_plain reports whether the object at name can be rebuilt object by
// object with the same result as H5Ocopy: a dataset, or a group below which
// every link is a hard link to a group or dataset that has no other link
// (no soft or external links, no shared objects, no named datatypes).
// 1 yes, 0 no, -1 error.
int ms_tree_plain(hid_t loc, const char *name) {
	H5O_type_t type;
	unsigned rc;
	if (obj_basic(loc, name, &type, &rc) < 0) return -1;
	if (type == H5O_TYPE_DATASET) return 1;
	if (type != H5O_TYPE_GROUP) return 0;
	hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
	if (g < 0) return -1;
	herr_t r = H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, plain_cb, NULL);
	H5Gclose(g);
	return r < 0 ? -1 : r > 0 ? 0 : 1;
}

static herr_t stop_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
	(void)loc; (void)name; (void)info; (void)data;
	return 1;
}

// plain_type accepts the datatypes whose file bytes mean the same in any
// file: numbers, enums, opaque and fixed-length strings. Variable-length
// data and references point elsewhere in the source file; compound and
// array types could hide either.
static int plain_type(hid_t t) {
	if (H5Tcommitted(t) != 0) return 0;
	switch (H5Tget_class(t)) {
	case H5T_INTEGER:
	case H5T_FLOAT:
	case H5T_BITFIELD:
	case H5T_OPAQUE:
	case H5T_ENUM:
		return 1;
	case H5T_STRING:
		return H5Tis_variable_str(t) == 0;
	default:
		return 0;
	}
}

// ms_dataset_clone creates dname under dst with the datatype and shape of
// the dataset sname under src when its stored bytes can be copied as they
// are: contiguous, allocated, no filters, no external storage, no
// attributes, a plain datatype. The new dataset is contiguous and its space
// allocated now but never written by HDF5 (no fill value is written), so
// that the caller copies *size bytes from offset *soff of the source file
// to offset *doff of the output, outside HDF5. Returns 1 with
// that range, 2 for a dataset created with no bytes to copy (no elements),
// 0 when the dataset is not plain (nothing created: copy it with H5Ocopy,
// which also keeps the fill value of a dataset never written), -1 on error.
int ms_dataset_clone(hid_t src, const char *sname, hid_t dst, const char *dname, long long *soff, long long *doff, long long *size) {
	int rc = -1;
	hid_t sdcpl = -1, t = -1, sp = -1, nd = -1;
	if (!plists()) return -1;
	hid_t d = H5Dopen2(src, sname, H5P_DEFAULT);
	if (d < 0) return -1;
	sdcpl = H5Dget_create_plist(d);
	t = H5Dget_type(d);
	sp = H5Dget_space(d);
	if (sdcpl < 0 || t < 0 || sp < 0) goto done;
	hssize_t np = H5Sget_simple_extent_npoints(sp);
	size_t tsz = H5Tget_size(t);
	H5S_class_t sc = H5Sget_simple_extent_type(sp);
	if (np < 0 || tsz == 0) goto done;
	rc = 0;
	if (!plain_type(t) || (sc != H5S_SIMPLE && sc != H5S_SCALAR)) goto done;
	if (H5Pget_layout(sdcpl) != H5D_CONTIGUOUS || H5Pget_nfilters(sdcpl) != 0 || H5Pget_external_count(sdcpl) != 0) goto done;
	hsize_t idx = 0;
	herr_t attrs = H5Aiterate2(d, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, stop_cb, NULL);
	if (attrs != 0) {
		rc = attrs < 0 ? -1 : 0;
		goto done;
	}
	haddr_t off = H5Dget_offset(d);
	hsize_t bytes = H5Dget_storage_size(d);
	if (np > 0 && (off == HADDR_UNDEF || bytes != (hsize_t)np * tsz)) goto done;
	rc = -1;
	nd = H5Dcreate2(dst, dname, t, sp, lcpl, clone_dcpl, H5P_DEFAULT);
	if (nd < 0) goto done;
	if (np == 0) {
		rc = 2;
		goto done;
	}
	haddr_t doffv = H5Dget_offset(nd);
	if (doffv == HADDR_UNDEF || H5Dget_storage_size(nd) != bytes) goto done;
	*soff = (long long)off;
	*doff = (long long)doffv;
	*size = (long long)bytes;
	rc = 1;
done:
	if (nd >= 0) H5Dclose(nd);
	if (sp >= 0) H5Sclose(sp);
	if (t >= 0) H5Tclose(t);
	if (sdcpl >= 0) H5Pclose(sdcpl);
	H5Dclose(d);
	return rc;
}

// ms_file_fd returns the descriptor through which HDF5 reads the file that
// holds obj, or -1 when the file is not read through the POSIX driver
// (sec2) or the span driver of vfd.c (offsets then count from the span).
int ms_file_fd(hid_t obj) {
	int fd = -1;
	hid_t f = H5Iget_file_id(obj);
	if (f < 0) return -1;
	hid_t fapl = H5Fget_access_plist(f);
	if (fapl >= 0 && (H5Pget_driver(fapl) == H5FD_SEC2 || H5Pget_driver(fapl) == ms_span_driver())) {
		void *h = NULL;
		if (H5Fget_vfd_handle(f, fapl, &h) >= 0 && h) fd = *(int *)h;
	}
	if (fapl >= 0) H5Pclose(fapl);
	H5Fclose(f);
	return fd;
}

// ms_dataset_read_raw reads a dataset's elements in its own file datatype,
// bytes as stored, into buf of n bytes.
int ms_dataset_read_raw(hid_t loc, const char *path, void *buf, long long n) {
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
	int rc = -1;
	if (sp >= 0 && t >= 0 && (long long)H5Sget_simple_extent_npoints(sp) * (long long)H5Tget_size(t) == n)
		rc = H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
	if (t >= 0) H5Tclose(t);
	if (sp >= 0) H5Sclose(sp);
	H5Dclose(d);
	return rc;
}
