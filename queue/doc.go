// Package queue is hubedge's durable store-and-forward queue and delivery
// engine. It knows nothing of SMTP: a receive session hands it each
// accepted message with Enqueue, a Router maps each recipient to a next
// hop, and a Deliverer hands a message to a next hop and answers one
// Result per recipient. The queue does the rest: delivery queues per next
// hop, retry and expiry, DSNs, poison detection and the admin operations.
//
//	q, err := queue.Open("/var/spool/hubedge",
//		queue.WithRouter(router),       // recipient → NextHop
//		queue.WithDeliverer(deliverer)) // NextHop + message → []Result
//	...
//	id, err := q.Enqueue(ctx, queue.Envelope{From: from, Recipients: rcpts}, body)
//	// err == nil: the message is on disk; answer 250.
//	...
//	err = q.Close(ctx)
//
// # Durability
//
// Enqueue returns only once the envelope and the body are committed and
// fsync'd, so the SMTP 250 can follow. Concurrent Enqueue calls share
// commits (group commit): whatever arrives while one commit is being
// written goes into the next, so a lone caller is never delayed by a
// batching timer and many callers pay one fsync between them. Bodies are
// read once, in 256 KiB chunks, and committed in 512 KiB slices ahead of
// the record for large messages, so an Enqueue never holds a whole large
// body in memory; Message.Open streams it back chunk by chunk. The record
// written after a delivery attempt (the delete of a delivered message, a
// deferral) joins the next group commit instead of starting one: lost in a
// crash, it means the attempt is made again, never that a message is lost.
//
// The queue keeps its messages in a Store. Open uses package walstore (a
// write-ahead log in front of a bbolt file, one fdatasync per group
// commit; it documents its formats and failure modes); OpenMemory a map,
// for tests and throw-away relays (not durable); OpenStore any other
// Store, such as one on a database shared by a pool of hubs. Every store
// gets the same path: package storage states the contract, and
// queuetest.TestStore checks a store against it. Failures never trade an
// acknowledged message for availability: while the store cannot make
// writes durable, every write fails with ErrStoreFailed; a message record
// that cannot be decoded (corruption, a downgrade) fails Open with
// *RecordError and nothing in the store is touched; damaged stored data
// fails Open, or a body read, with a *CorruptError (ErrCorrupt), and a
// message whose body is damaged moves to the Poison queue (suspended, the
// damage as its last error) instead of being delivered damaged.
//
// # Delivery
//
// A Router that also implements MessageRouter routes a whole message in one
// call, the categorizer's hook: it may redirect recipients (the original
// kept as ORCPT), add some, drop some with or without a DSN, or defer the
// whole message; the changed envelope is committed before delivery.
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
// Per recipient, as in the reference system: 2xx is delivered; 5xx fails
// at once; 4xx is retried after MessageRetryInterval. A Deliverer error is a
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
// system and are safe while deliveries run. WithEventHook reports
// message-tracking events (RECEIVE, DELIVER, DEFER, FAIL, DSN, ...).
//
// # Time
//
// All scheduling reads an injectable Clock; queuetest.FakeClock moves it by
// hand so retry and expiry tests run in milliseconds.
package queue
