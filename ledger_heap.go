//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package commet

import "sync/atomic"

// ledgerMapped counts the bytes ledgers hold mapped: none here.
var ledgerMapped atomic.Int64

// ledgerAlloc maps nothing on this system: the ledger takes the Go heap.
func ledgerAlloc(int) ([]byte, bool) { return nil, false }

// ledgerFree is never called on this system.
func ledgerFree([]byte) {}
