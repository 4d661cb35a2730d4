package rawudp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Again sorts a raw system call's errno for a syscall.RawConn callback on
// a non-blocking socket: retry at once when a signal interrupted it
// (EINTR), wait for the poller when the socket is not ready (EAGAIN);
// any other errno, or none, is the call's result.
func Again(errno syscall.Errno) (retry, wait bool) {
	switch errno {
	case unix.EINTR:
		return true, false
	case unix.EAGAIN:
		return false, true
	}
	return false, false
}
