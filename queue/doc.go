// Package queue is hubedge's durable store-and-forward queue and delivery
// engine. It knows nothing of SMTP: package smtpx feeds it with Enqueue and
// plugs in a Router (recipient → next hop) and a Deliverer (next hop +
// message + recipients → one reply per recipient).
//
// # Durability
//
// Enqueue returns only once the envelope and the body are committed and
// fsync'd, so the SMTP 250 can follow. Concurrent Enqueue calls share
// commits (group commit): whatever arrives while one commit is being
// written goes into the next, so a lone caller is never delayed by a
// batching timer and many callers pay one fsync between them. Bodies are
// read once, in 256 KiB chunks, and committed in 512 KiB slices ahead of the
// record for large messages, so an Enqueue never holds a whole large body
// in memory; Message.Open streams it back chunk by chunk.
//
// Open keeps a write-ahead log (WALFile and WALFile+".1", two segments
// used in turn; one fdatasync per group commit) in front of one bbolt file
// (StoreFile). Bodies are read back from the log while it holds them, and
// a background goroutine gives bbolt only what is still queued after
// about two seconds, in large transactions: a message delivered sooner
// never reaches bbolt. See README.md for the formats and checksums. (A
// file per body would cost an extra file and directory fsync per
// message.) The record written after a delivery attempt (the delete of a
// delivered message, a deferral) joins the next group commit instead of
// starting one: lost in a crash, it means the attempt is made again, never
// that a message is lost. The Store interface lets another engine back the
// queue (OpenStore); OpenMemory is a non-durable variant for tests.
//
// After a full disk, a message still only in the log needs as much free
// space again to reach bbolt before the log can take new mail.
//
// Failures never trade an acknowledged message for availability: once the
// store fails to take what the log holds (a full disk), every write fails
// with ErrStoreFailed until a retry catches the store up (the log keeps
// what it lacks, for a restart to replay meanwhile); a message record
// that cannot be decoded (corruption, a downgrade) fails Open with
// *RecordError and nothing in the store is touched. Damage to the log
// other than a torn final record (a bad record followed by valid ones, a
// file cut short of its allocation) fails Open with a *CorruptError
// (ErrCorrupt) instead of being replayed as a crash, and so does a
// queue.db shorter than its bbolt metadata says. Every stored body chunk
// carries a CRC-32C: a damaged body makes Message.Open's reader fail with
// a *CorruptError, and the message moves to the Poison queue (suspended,
// the damage as its last error) instead of being delivered damaged.
//
// # Delivery
//
// Recipients are split by next hop (NextHop.Key) into delivery queues; those
// the Router finds no route for wait in the Unreachable queue until
// RetryUnreachable (e.g. on a routing change), removal or expiry (then
// 5.4.4). Each delivery attempt is marked in flight, durably, when the
// Deliverer first opens the body (Message.Open waits for that commit): a
// message found in flight after PoisonThreshold successive crashes moves
// to the Poison queue, suspended, and is never retried or expired
// automatically; an administrator's ResumeMessage releases it. A crash
// before the body was opened (while connecting, say) is not counted, so a
// process killed repeatedly for reasons of its own does not poison
// messages whose content was never touched.
//
// Per recipient (SPEC §6.3, §6.4): 2xx is delivered; 5xx fails at once;
// 4xx is retried after MessageRetryInterval. A Deliverer error is a
// connection failure: the delivery queue goes into Retry, retried
// TransientFailureRetryCount times every TransientFailureRetryInterval,
// then every OutboundConnectionFailureRetryInterval, with one probe at a
// time until a connection succeeds. After MessageExpirationTimeout what
// remains fails with 4.4.7.
//
// Arrivals are paced by deliveries (WithInFlowDelay, Postfix's
// in_flow_delay): while the next hops delivering at full concurrency have
// more messages waiting than connections, Enqueue waits up to one second
// before it reads a body, and goes on as soon as a delivery starts. A burst
// then waits in its senders' sockets instead of outgrowing the log. A
// failing or suspended next hop never slows Enqueue.
//
// # Notifications
//
// Failures produce one RFC 3464 DSN per verdict, built by package dsn from
// the stored message (whole under RET=FULL up to 10 MiB, headers
// otherwise) and enqueued from the null sender to the original sender; a
// DSN is committed together with the record update that caused it. One
// delay DSN goes out after DelayNotificationTimeout. NOTIFY is honoured
// (NEVER: none; SUCCESS: a "delivered" DSN on 2xx; an explicit NOTIFY
// without DELAY: no delay DSN) and nothing is ever sent to the null
// sender.
//
// # Administration
//
// Queues, Messages, SuspendQueue, ResumeQueue, RetryQueue,
// SuspendMessage, ResumeMessage, RemoveMessage (with or without NDR),
// Export and RetryUnreachable follow the queue cmdlets of the reference
// system (SPEC §6.7) and are safe while deliveries run. WithEventHook
// reports message-tracking events (RECEIVE, DELIVER, DEFER, FAIL, DSN, ...).
//
// # Time
//
// All scheduling reads an injectable Clock; queuetest.FakeClock moves it by
// hand so retry and expiry tests run in milliseconds.
package queue
