package engine

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// ReadScriptFile reads name from root, a folder a user can put anything in,
// refusing what would block or blow up a read: the file is opened without
// blocking (a named pipe would otherwise wait for a writer forever), must be
// a regular file (not a pipe, device, socket or folder), and its size is
// checked before reading; the read itself stops after max bytes, in case the
// file grows meanwhile.
func ReadScriptFile(root *os.Root, name string, max int) ([]byte, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, fileKind(fi.Mode()))
	}
	if fi.Size() > int64(max) {
		return nil, fmt.Errorf("%s is %d bytes, at most %d allowed", name, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s: more than %d bytes (it grew while being read)", name, max)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0, m&os.ModeCharDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
