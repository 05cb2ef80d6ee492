// Package cli holds what the reference servers under examples/ share: the
// common flags (server name, queue directory, certificate, credentials file,
// log level), the construction of the matching smtpx options, a start-up
// summary of the connectors, and the run loop that serves until the context
// is cancelled (SIGINT/SIGTERM in main) and then shuts the transport down
// gracefully within a deadline.
//
// It is internal because it is glue for the examples, not part of hubedge's
// API: a program embedding hubedge would write the same few lines itself.
package cli
