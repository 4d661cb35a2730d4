//go:build !unix

package load

import "time"

// selfCPU is unknown here.
func selfCPU() time.Duration { return 0 }
