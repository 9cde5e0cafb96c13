//go:build !unix

package commet_test

import "time"

// cpuTime is not measured here: it is always 0, and the benchmarks leave
// out their CPU ratio.
func cpuTime() time.Duration { return 0 }
