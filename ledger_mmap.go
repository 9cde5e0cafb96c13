//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package commet

import (
	"sync/atomic"
	"syscall"
)

// ledgerMapped counts the bytes ledgers hold mapped, for tests and
// benchmarks.
var ledgerMapped atomic.Int64

// ledgerAlloc maps size bytes of anonymous, private, zeroed memory, outside
// the Go heap, so that the garbage collector neither scans nor paces on
// it (fastcache, for one, keeps its buckets so); it reports false if the
// system refuses, and the ledger then takes the heap. The memory holds no
// Go pointer, and only the pages written cost resident memory.
func ledgerAlloc(size int) ([]byte, bool) {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil || len(b) != size {
		return nil, false
	}
	ledgerMapped.Add(int64(size))
	return b, true
}

// ledgerFree unmaps b, a block of ledgerAlloc's.
func ledgerFree(b []byte) {
	if syscall.Munmap(b) == nil {
		ledgerMapped.Add(-int64(len(b)))
	}
}
