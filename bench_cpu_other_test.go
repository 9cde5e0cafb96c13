//go:build !unix

package commet_test

import (
	"testing"
	"time"
)

// cpuTime is not measured here: reportCPU then reports nothing.
func cpuTime() time.Duration { return 0 }

func reportCPU(*testing.B, time.Duration) {}
