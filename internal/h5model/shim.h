// Small C helpers for what gonum.org/v1/hdf5 does not offer: string
// attributes of every layout, attribute listing and copying, object copy,
// datasets cloned with their storage allocated for a copy outside HDF5,
// objects created without timestamps so output is deterministic, and a
// file opened to read with evict-on-close, its datasets read in batches.
#ifndef MODELSURG_SHIM_H
#define MODELSURG_SHIM_H
#include <hdf5.h>

void ms_quiet(void);
hid_t ms_file_create(const char *path);
hid_t ms_file_open(const char *path);
int ms_close_file(hid_t f);
hid_t ms_group_create(hid_t loc, const char *name);
int ms_group_close(hid_t g);
int ms_obj_kind(hid_t loc, const char *path); // 0 missing, 1 group, 2 dataset, 3 other, -1 error
int ms_children(hid_t loc, char ***names, int *n);
int ms_attr_names(hid_t loc, char ***names, int *n);
void ms_free_strings(char **names, int n);
int ms_attr_exists(hid_t loc, const char *name);
int ms_attr_read_strings(hid_t loc, const char *name, char ***out, int **lens, int *n, int *scalar, int *cls);
int ms_attr_write_str(hid_t loc, const char *name, const char *s, int len, int utf8);
int ms_attr_write_vlen_strs(hid_t loc, const char *name, const char **ss, int n);
int ms_attr_write_fixed_strs(hid_t loc, const char *name, const char *buf, int n, size_t size);
int ms_attr_write_empty_f64(hid_t loc, const char *name);
int ms_attr_copy(hid_t src, const char *name, hid_t dst);
int ms_copy(hid_t src, const char *sname, hid_t dst, const char *dname);
hid_t ms_group_open(hid_t loc, const char *name);
hid_t ms_obj_open(hid_t loc, const char *name);
int ms_obj_close(hid_t o);
int ms_obj_type(hid_t loc, const char *name); // 1 group, 2 dataset, 3 other, -1 error
int ms_tree_plain(hid_t loc, const char *name);
int ms_dataset_clone(hid_t src, const char *sname, hid_t dst, const char *dname, long long *soff, long long *doff, long long *size);
int ms_file_fd(hid_t obj);
void ms_datasets_info(hid_t loc, const char **names, int n, long long *dims, int maxdims, int *ndims, int *cls, int *size, int *sign, int *rc);
int ms_dataset_read_f32(hid_t loc, const char *path, float *buf, long long n);
int ms_dataset_read_raw(hid_t loc, const char *path, void *buf, long long n);
enum { MS_F32, MS_F16, MS_BF16 };
int ms_dataset_write(hid_t loc, const char *path, int ndims, const long long *dims, int kind, const void *data);
// vfd.c: HDF5 files inside another file (a stored zip member).
hid_t ms_span_driver(void);
hid_t ms_file_open_span(const char *path, long long off, long long size);
hid_t ms_file_create_ub(const char *path, long long ub);
#endif
