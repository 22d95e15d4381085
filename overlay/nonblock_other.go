//go:build !unix

package overlay

const syscallNonblock = 0
