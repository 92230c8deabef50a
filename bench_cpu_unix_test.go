//go:build unix

package convirza

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used so far, user and system,
// all threads: the client, the loopback server and the garbage collector.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
