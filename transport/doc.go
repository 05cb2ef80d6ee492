// Package transport composes a whole hub or edge transport server
// in-process: the SMTP server of package smtpx with its receive
// connectors, the Router (the categorizer), the durable queue, outbound
// delivery through send connectors (smtpx/deliver) and mailbox delivery
// (smtpx/local).
//
//	t, err := transport.New(
//		transport.WithServerName("hub01.contoso.com"),
//		transport.WithReceiveConnector(fromInternet), transport.WithSendConnector(toInternet),
//		transport.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com"}),
//		transport.WithQueueDir(dir), transport.WithLocalDelivery(mailboxes),
//		transport.WithServerOptions(smtpx.WithTLSCertificate(cert), smtpx.WithAuthenticator(users)),
//		transport.WithDeliverOptions(deliver.WithResolver(resolver)),
//		transport.WithLogger(slog.Default()))
//	err = t.Start(ctx)
//	addr := t.Addr("From Internet")
//	err = t.Shutdown(ctx)
//
// The transport's own options are what its parts share and how they are
// wired; WithServerOptions, WithQueueOptions and WithDeliverOptions carry
// each part's own settings. A transport needs a queue it is told about:
// WithQueueDir or WithQueueStore, or WithMemoryQueue for a queue that
// loses its mail when the process ends (New fails with ErrNoQueue
// otherwise).
//
// # Routing and delivery
//
// Router implements queue.Router: linked receive connectors first, then
// authoritative accepted domains (and InternalRelay recipients the
// Directory knows) to local delivery, then the routing table
// (routing.Table) to a send connector, relayed to its source servers when
// it is not sourced here. No route parks the recipient in the Unreachable
// queue. MailboxDelivery hops go to WithLocalDelivery, the others to a
// deliver.Deliverer built from the send connectors (or WithDeliverer).
//
// At RCPT time the server asks the local deliverer (when it is a
// local.Checker) and the Directory about recipients of authoritative
// domains, so mail that would only bounce is refused (550 5.1.3, 550
// 5.1.1) instead of becoming backscatter.
//
// # Routing agents
//
// WithAgents gives the chain's SMTP-receive agents to the server and runs
// its routing agents as the queue routes each message, once before it
// joins its delivery queues: OnSubmittedMessage, OnResolvedMessage
// (redirect, add or drop recipients, override a recipient's routing
// domain), OnRoutedMessage and OnCategorizedMessage, whose recipients
// carry their next-hop domains. A failing fail-closed agent defers the
// message, which is routed again after the retry interval. Header fields
// they set or remove (the SCL's too) replace the queued message's header
// (queue.Message.ReplaceHeader); the body is not theirs to change here.
//
// # Running changes
//
// Reconfigure replaces the connectors and accepted domains of a running
// transport: everything is checked before anything changes, sessions keep
// the configuration they were admitted under, deliveries in progress
// finish on the deliverer they began with, and the queue stays open while
// its messages are routed again by the new table.
package transport
