#include "shim.h"
#include <stdlib.h>
#include <string.h>

void ms_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static hid_t lcpl_intermediate(void) {
	hid_t p = H5Pcreate(H5P_LINK_CREATE);
	H5Pset_create_intermediate_group(p, 1);
	return p;
}

hid_t ms_file_create(const char *path) {
	hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
	H5Pset_obj_track_times(fcpl, 0);
	hid_t f = H5Fcreate(path, H5F_ACC_EXCL, fcpl, H5P_DEFAULT);
	H5Pclose(fcpl);
	return f;
}

int ms_close_file(hid_t f) { return H5Fclose(f); }
int ms_group_close(hid_t g) { return H5Gclose(g); }

hid_t ms_group_create(hid_t loc, const char *name) {
	hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
	H5Pset_obj_track_times(gcpl, 0);
	hid_t lcpl = lcpl_intermediate();
	hid_t g = H5Gcreate2(loc, name, lcpl, gcpl, H5P_DEFAULT);
	H5Pclose(gcpl);
	H5Pclose(lcpl);
	return g;
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
	H5O_info_t info;
	if (H5Oget_info_by_name1(loc, path, &info, H5P_DEFAULT) < 0) return -1;
	switch (info.type) {
	case H5O_TYPE_GROUP: return 1;
	case H5O_TYPE_DATASET: return 2;
	default: return 3;
	}
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
	hid_t lcpl = lcpl_intermediate();
	herr_t rc = H5Ocopy(src, sname, dst, dname, H5P_DEFAULT, lcpl);
	H5Pclose(lcpl);
	return rc < 0 ? -1 : 0;
}

int ms_dataset_info(hid_t loc, const char *path, long long *dims, int maxdims, int *ndims, int *cls, int *size, int *sign) {
	int rc = -1;
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
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

int ms_dataset_write_f32(hid_t loc, const char *path, int ndims, const long long *dims, const float *data) {
	hsize_t hd[H5S_MAX_RANK];
	if (ndims < 0 || ndims > H5S_MAX_RANK) return -1;
	for (int i = 0; i < ndims; i++) hd[i] = (hsize_t)dims[i];
	hid_t sp = ndims == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(ndims, hd, NULL);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_obj_track_times(dcpl, 0);
	hid_t lcpl = lcpl_intermediate();
	hid_t d = H5Dcreate2(loc, path, H5T_IEEE_F32LE, sp, lcpl, dcpl, H5P_DEFAULT);
	int rc = -1;
	if (d >= 0) {
		rc = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0;
		H5Dclose(d);
	}
	H5Pclose(lcpl);
	H5Pclose(dcpl);
	H5Sclose(sp);
	return rc;
}
