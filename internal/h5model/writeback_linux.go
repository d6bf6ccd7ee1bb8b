package h5model

import (
	"os"

	"golang.org/x/sys/unix"
)

// dupFile returns a file of its own on descriptor fd, which stays HDF5's.
func dupFile(fd int, name string) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), name), nil
}

// startWriteback starts writing a copied range to disk now, while HDF5
// is still busy, rather than all of it in the fsync. It is advice: on
// error the fsync does the work.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
