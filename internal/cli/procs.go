package cli

import (
	"os"
	"runtime"
)

// syncProcs gives the Go scheduler a second P when it has only one (one
// CPU, or a cgroup limit of one), unless GOMAXPROCS is set in the
// environment. The durable queue's committer spends much of its time in
// fdatasync. With a single P, each fdatasync that outlasts the scheduler's
// 20 µs check has its P handed to another thread, and on return the
// committer's thread finds no P: it parks, and the sessions it was to wake
// wait in the global run queue behind the running ones. With a spare P the
// returning thread takes it at once.
//
// Measured with the relay pinned to one CPU: on a disk whose flush takes
// about 100 µs, its rate rose by 28 % and its CPU per message fell by 6 %;
// on tmpfs, where fdatasync returns at once, the spare P cost 15 % more
// CPU. A disk that flushes in well under 20 µs is better served by
// GOMAXPROCS=1 in the environment. With two CPUs a third P gained nothing,
// so only a lone P is raised. Once set, the runtime no longer follows a
// change of the CPU limit: a limit of one raised later keeps two Ps until
// the server restarts.
func syncProcs() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) == 1 {
		runtime.GOMAXPROCS(2)
	}
}
