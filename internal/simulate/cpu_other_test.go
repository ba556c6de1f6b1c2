//go:build !unix

package simulate

import "time"

// cpuTime is not measured here; the benchmarks then report zero.
func cpuTime() time.Duration { return 0 }
