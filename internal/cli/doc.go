// Package cli holds what the reference servers under examples/ and the
// hubedge command share: the common flags (server name, queue directory,
// certificate, credentials and mailbox files, protocol log, log level), the
// construction of the matching smtpx options, a start-up summary of the
// connectors, and the run loop: Main turns SIGINT/SIGTERM into a cancelled
// context and -h into exit 0, and Serve serves until then, rereads the users
// and mailbox files on SIGHUP, and shuts the transport down gracefully within
// a deadline.
//
// A queue directory is locked by the process serving it, so that a second
// server on it fails at once and names the first one's pid. A server with
// a queue directory and a single P (one CPU) runs with two, so that the
// queue's fsyncs do not hold up its sessions; GOMAXPROCS in the
// environment overrides that.
//
// It is internal because it is glue for the programs, not part of hubedge's
// API: a program embedding hubedge would write the same few lines itself.
package cli
