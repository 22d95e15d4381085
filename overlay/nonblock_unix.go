//go:build unix

package overlay

import "syscall"

// syscallNonblock keeps open from waiting on a FIFO that appeared between the
// Lstat and the open (the opened file is checked to be regular after).
const syscallNonblock = syscall.O_NONBLOCK
