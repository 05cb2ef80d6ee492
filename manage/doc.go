// Package manage is the operator surface of a running hub or edge: a JSON
// management API with the queue cmdlets of the reference system, the Queue
// Viewer web pages, and Prometheus metrics, all served by one http.Handler
// that the server mounts on a listener of its choice (a loopback address or
// a Unix socket; never a public one).
//
// # Mounting
//
//	tok, err := manage.ReadTokenFile("/etc/hubedge/manage.token") // mode 0600
//	...
//	metrics := manage.NewMetrics(q, nil)
//	h, err := manage.New(
//		manage.WithServerName("HubA"),
//		manage.WithToken(tok),
//		manage.WithQueue(q),              // *queue.Queue
//		manage.WithTracking(trackingLog), // *tracking.Log
//		manage.WithConfig(currentConfig), // connectors and accepted domains, after reloads too
//		manage.WithMetrics(metrics))
//	...
//	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
//	go srv.Serve(listener)
//
// Every request authenticates, with "Authorization: Bearer <token>" (compared
// in constant time) or a client certificate the TLS listener verified
// (WithClientCertificates). Without either the answer is 401 with one
// fixed JSON error; the Queue Viewer answers 401 with its login form
// instead.
//
// # The API
//
// Each cmdlet is served at /api/<cmdlet>, its parameters named as the
// reference system names them, in the query string or a form body: GET for
// Get-Queue (-Identity, -Status, -NextHopDomain, -DeliveryType,
// -Exclude Empty, -Filter {MessageCount -gt 100}), Get-Message (-Identity,
// -Queue, -Status, -Sender, -ResultSize), Export-Message (the .eml of a
// suspended message), Get-MessageTrackingLog (-Sender, -Recipients,
// -MessageId, -InternalMessageId, -EventId, -Start, -End, -ResultSize ...),
// Get-SendConnector, Get-ReceiveConnector and Get-AcceptedDomain (read-only;
// never a password); POST for Suspend-Queue, Resume-Queue, Retry-Queue
// (-Resubmit), Suspend-Message, Resume-Message and Remove-Message
// (-WithNDR $false). Answers are JSON arrays of objects with the reference
// system's property names (Identity, DeliveryType, Status, MessageCount,
// NextHopDomain, LastError, NextRetryTime ...). Queues are identified as
// Server\Submission, Server\Unreachable, Server\Poison and Server\<n>, the
// number a delivery queue keeps for the Handler's life, or by next-hop
// domain; messages as Server\<queue>\<message ID>. Bad input is 400, an
// identity that names nothing 404 ("no queue HubA\9"), an action the state
// forbids 409, always with a JSON body {"error": "..."}.
//
// With WithPool, on a hub whose queue is shared in PostgreSQL by a pool of
// hubs (package queue/pgpool), the same cmdlets cover the pool: Get-Queue
// lists every hub's queues (Hub\Submission, Hub\3 ...; a number names one
// next hop on every hub), Get-Message every hub's messages (another hub's
// as Hub\*\<message ID>: only that hub knows which of its queues holds
// it), and the actions reach the hub concerned. Suspend-Queue and
// Resume-Queue of a delivery queue act on that next hop in every hub of
// the pool. A message identity without a server part names the message
// on whichever hub holds it.
//
// Client calls the API from Go; Client.Run is the command line
// ("hubedge Get-Queue -Status Retry"), printing the reference system's
// default table columns or, with -json, the JSON.
//
// # Queue Viewer
//
// The pages at / show the queues with their counts and status, a queue's
// messages, a message's properties and recipients with their last errors,
// and a message tracking search. They are rendered on the server, need no
// script, fit a phone's screen and reload themselves (WithRefresh). The
// token is typed once into the login form and exchanged for a session
// cookie (HttpOnly, SameSite=Strict); every action is a POST form carrying
// the session's CSRF token.
//
// # Metrics
//
// Metrics (served on /metrics by WithMetrics) counts messages received,
// sent, delivered, deferred and failed per connector, DSNs by type,
// delivery-attempt latency, open sessions and refusals per receive
// connector, TLS handshakes and failures, group-commit sizes and fsync
// latency, and back-pressure levels; queue lengths and the oldest message's
// age are read from the queue at each scrape.
package manage
