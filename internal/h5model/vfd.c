// A read-only HDF5 virtual file driver for an HDF5 file stored inside
// another file: a member of a zip archive that is stored, not deflated,
// is one contiguous byte range. Every read adds the member's offset, and
// the file ends where the member ends, so HDF5 reads the member in place.
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// ms_span_info is the driver's file-access property: where the member is.
typedef struct {
	long long off, size;
} ms_span_info;

typedef struct {
	H5FD_t pub; // must come first
	int fd;
	off_t off;
	haddr_t eof, eoa;
	dev_t dev;
	ino_t ino;
} ms_span_file;

static H5FD_t *span_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
	(void)maxaddr;
	if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT)) return NULL;
	const ms_span_info *info = H5Pget_driver_info(fapl);
	if (!info || info->off < 0 || info->size <= 0) return NULL;
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || info->off + info->size > st.st_size) {
		close(fd);
		return NULL;
	}
	ms_span_file *f = calloc(1, sizeof *f);
	if (!f) {
		close(fd);
		return NULL;
	}
	f->fd = fd;
	f->off = (off_t)info->off;
	f->eof = (haddr_t)info->size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return &f->pub;
}

static herr_t span_close(H5FD_t *file) {
	ms_span_file *f = (ms_span_file *)file;
	int rc = close(f->fd);
	free(f);
	return rc < 0 ? -1 : 0;
}

static int span_cmp(const H5FD_t *a, const H5FD_t *b) {
	const ms_span_file *x = (const ms_span_file *)a, *y = (const ms_span_file *)b;
	if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
	if (x->off != y->off) return x->off < y->off ? -1 : 1;
	return 0;
}

static herr_t span_query(const H5FD_t *file, unsigned long *flags) {
	(void)file;
	*flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
	         H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE;
	return 0;
}

static haddr_t span_get_eoa(const H5FD_t *file, H5FD_mem_t type) {
	(void)type;
	return ((const ms_span_file *)file)->eoa;
}

static herr_t span_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr) {
	(void)type;
	((ms_span_file *)file)->eoa = addr;
	return 0;
}

static haddr_t span_get_eof(const H5FD_t *file, H5FD_mem_t type) {
	(void)type;
	return ((const ms_span_file *)file)->eof;
}

static herr_t span_get_handle(H5FD_t *file, hid_t fapl, void **handle) {
	(void)fapl;
	*handle = &((ms_span_file *)file)->fd;
	return 0;
}

// span_read reads inside the member only; past its end it reads zeros,
// as the POSIX driver does past the end of a file.
static herr_t span_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buf) {
	(void)type;
	(void)dxpl;
	ms_span_file *f = (ms_span_file *)file;
	unsigned char *p = buf;
	if (addr == HADDR_UNDEF || addr > f->eoa || size > f->eoa - addr) return -1;
	while (size > 0) {
		if (addr >= f->eof) {
			memset(p, 0, size);
			return 0;
		}
		size_t n = size;
		if (n > f->eof - addr) n = (size_t)(f->eof - addr);
		ssize_t got = pread(f->fd, p, n, f->off + (off_t)addr);
		if (got < 0 && errno == EINTR) continue;
		if (got < 0) return -1;
		if (got == 0) {
			memset(p, 0, size);
			return 0;
		}
		p += got;
		addr += (haddr_t)got;
		size -= (size_t)got;
	}
	return 0;
}

static herr_t span_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, const void *buf) {
	(void)file, (void)type, (void)dxpl, (void)addr, (void)size, (void)buf;
	return -1;
}

static const H5FD_class_t span_class = {
	.name = "modelsurg_span",
	.maxaddr = (haddr_t)0x7fffffffffffffffLL,
	.fc_degree = H5F_CLOSE_WEAK,
	.fapl_size = sizeof(ms_span_info),
	.open = span_open,
	.close = span_close,
	.cmp = span_cmp,
	.query = span_query,
	.get_eoa = span_get_eoa,
	.set_eoa = span_set_eoa,
	.get_eof = span_get_eof,
	.get_handle = span_get_handle,
	.read = span_read,
	.write = span_write,
	.fl_map = H5FD_FLMAP_DICHOTOMY,
};

static hid_t span_id = -1;
static pthread_once_t span_once = PTHREAD_ONCE_INIT;

static void span_register(void) { span_id = H5FDregister(&span_class); }

hid_t ms_span_driver(void) {
	pthread_once(&span_once, span_register);
	return span_id;
}

// ms_file_open_span opens to read the HDF5 file that is the size bytes at
// off in the file at path.
hid_t ms_file_open_span(const char *path, long long off, long long size) {
	hid_t drv = ms_span_driver();
	if (drv < 0) return -1;
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) return -1;
	ms_span_info info = {off, size};
	hid_t f = -1;
	if (H5Pset_driver(fapl, drv, &info) >= 0) {
		f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
	}
	H5Pclose(fapl);
	return f;
}

// ms_file_create_ub creates a file as ms_file_create does, with a user
// block of ub bytes (a power of two >= 512) that HDF5 leaves unwritten.
hid_t ms_file_create_ub(const char *path, long long ub) {
	hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	H5Pset_obj_track_times(fcpl, 0);
	hid_t f = -1;
	if (H5Pset_userblock(fcpl, (hsize_t)ub) >= 0) {
		H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
		f = H5Fcreate(path, H5F_ACC_EXCL, fcpl, fapl);
	}
	H5Pclose(fapl);
	H5Pclose(fcpl);
	return f;
}
