package cli

import (
	"os"
	"runtime"
)

// raiseLoneP gives the Go scheduler a second P when it has only one (one
// CPU, or a CPU limit of one), unless GOMAXPROCS is set in the
// environment, and reports whether it did. A server with a queue on disk
// calls it: with a single P, each fdatasync of the queue's committer
// outlasts the scheduler's 20 µs check, so the P is handed to another
// thread and the committer, on return, waits for one behind the sessions
// it was to wake. A spare P lets it carry on at once. Where fdatasync
// does not block (tmpfs) the spare P only costs CPU, and with two CPUs a
// third gained nothing, so only a lone P is raised; bench/README.md has
// the A/B figures. Once set, GOMAXPROCS no longer follows a change of the
// CPU limit until the server restarts.
func raiseLoneP() bool {
	if _, set := os.LookupEnv("GOMAXPROCS"); set || runtime.GOMAXPROCS(0) != 1 {
		return false
	}
	runtime.GOMAXPROCS(2)
	return true
}
