// Package crashtest is hubedge's end-to-end crash test (issue 10, "Nothing
// is lost"): a relay process built from examples/gateway (anonymous relay,
// durable queue, one smart host) takes a stream of messages from many
// concurrent SMTP clients and relays them to an smtptest sink, while the
// test SIGKILLs its whole process group at random moments and restarts it
// on the same queue directory and ports.
//
// The promise under test is the store-and-forward contract of RFC 5321
// §6.1: once the relay has answered 250 to the end of DATA it owns the
// message and must deliver it, whatever happens to the process. At the end
// every Message-ID a client got a 250 for must have reached the sink (lost
// must be 0). Messages without a 250 are not counted as lost, whether or
// not they arrive. Duplicates are reported, split into relay duplicates
// (the same client attempt delivered twice: a delivery in flight when the
// process died, which at-least-once delivery allows) and client-retry
// duplicates (a retry after a 250 lost with the connection).
//
// A message whose body was being delivered at two successive kills is
// moved, suspended, to the Poison queue (PoisonThreshold 2): held, not
// lost (a kill before an attempt opened the body does not count, so since
// that change no run has poisoned anything). After the last restart
// the test stops the relay, resumes those messages as an administrator's
// Resume-Message would, and starts it again before checking the sink; the
// summary reports how many there were.
//
// Kill delays come from a seeded generator; the seed is logged and can be
// replayed with -crash.seed. -short runs 3 kills, the full run 12:
//
//	go test ./crashtest -run TestCrashRelay -v -crash.seed 42
//
// TestCrashPool does the same to a pool of three crashtest/poolhub
// processes sharing one queue in PostgreSQL (issue 19), restarts
// PostgreSQL once, and also fails when one message was delivered by two
// hub processes without the first losing its lease (killed, stopped or
// lapsed) before the second copy reached the sink. BenchmarkPool measures
// the local queue against pools of one to three hubs (-pool.rounds
// interleaves rounds).
//
// The package holds tests only.
package crashtest
