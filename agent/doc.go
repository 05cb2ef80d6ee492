// Package agent is hubedge's extension point: transport agents, Go values
// that subscribe to the events of an SMTP receive session and of the
// categorizer, in priority order, as the reference system's
// SmtpReceiveAgent and RoutingAgent classes do.
//
// Receive events, in session order: OnConnect, OnHeloCommand or
// OnEhloCommand, OnStartTlsCommand, OnAuthCommand, OnEndOfAuthentication,
// OnMailCommand, OnRcptCommand, OnDataCommand, OnEndOfHeaders, OnEndOfData,
// OnDisconnect; OnNoopCommand, OnRsetCommand and OnReject at any time.
// Routing events: OnSubmittedMessage, OnResolvedMessage, OnRoutedMessage,
// OnCategorizedMessage.
//
// # Writing an agent
//
// An agent is any value with one or more of the event methods (the
// ConnectAgent, RcptAgent, EndOfDataAgent, ... interfaces); it is called
// only for those. Return nil to let the command proceed, a *Reply to
// answer it instead (Reject, Defer, or a Reply with Disconnect), or
// another error if the agent itself failed. Message events carry a
// MessageEvent whose methods edit the message: AddHeader, RemoveHeader,
// SetSCL, DropRecipient (with an NDR), RedirectRecipient, Discard,
// Quarantine, ReplaceBody. Keep per-connection state with SetValue.
//
//	type noSpamFrom struct{}
//
//	func (noSpamFrom) OnMailCommand(ctx context.Context, e *agent.CommandEvent) error {
//		if strings.HasSuffix(e.Arg, "@spam.example") {
//			return agent.Reject(550, "5.7.1", "Sender denied")
//		}
//		return nil
//	}
//
//	chain := agent.New()
//	err := chain.Register("No spam.example", noSpamFrom{}, agent.Priority(0))
//
// # Running a chain
//
// Agents run by priority (0 first, as Set-TransportAgent -Priority), each
// event under a deadline (WithTimeout, Timeout). A slow or failing agent is
// answered 451 4.7.0, or skipped if registered FailOpen; a panic is
// recovered, logged and answered 451. Connectors limits an agent to some
// receive connectors. The session opens a Conn per connection
// (Chain.Open) and calls one method per event; the categorizer calls
// Chain.Submitted, Resolved, Routed and Categorized. With no agent enabled
// Open returns a nil Conn, whose methods do nothing and allocate nothing.
//
// # Wiring a receive session
//
// The session owns the SMTP dialogue; it asks the Conn at these points and,
// when a method returns a *Reply, writes it instead of its own (closing
// the connection if Reply.Disconnect):
//
//   - accepted connection: k := chain.Open(Session{ID, Connector, Remote,
//     Local, Internal}); k.Connect before the greeting (a reply replaces
//     the 220; the session should then refuse everything but QUIT)
//   - HELO/EHLO: k.Helo / k.Ehlo after the session's checks, before 250;
//     a new EHLO also calls k.Rset
//   - STARTTLS: k.StartTLS before the 220; k.TLSEstablished after the
//     handshake
//   - AUTH: k.Auth(mechanism) before the exchange;
//     k.EndOfAuthentication(mechanism, user or "") before 235/535
//   - MAIL: k.Mail(reverse path, params) after the session accepted it,
//     before 250
//   - RCPT: k.Rcpt(address, params) after the session's relay, limit and
//     directory checks passed, before 250
//   - DATA/first BDAT: k.Data before the session's own checks and the 354
//   - header block read: k.EndOfHeaders(m) with m := NewMessage(fields,
//     accepted recipients...); a reply is given after the data ends
//   - final dot / BDAT LAST: k.EndOfData(m) with m.Body set, before the
//     message is queued; queue m.Header, m.DeliverTo() and m.Body (and
//     nothing, still answering 250, if m.Discard); a reply replaces the 250
//   - RSET: k.Rset; NOOP: k.Noop; any 4xx/5xx the session writes itself:
//     k.Rejected(reply); end of connection, however it ends: k.Disconnect
//
// EndOfHeaders and EndOfData may change m.Header, so the session writes
// the header from m. It applies the receive-side header firewall to the
// client's fields before EndOfHeaders, so that a forged SCL is gone and
// the one agents set survives.
//
// The built-in Edge anti-spam agents are in the sub-packages
// connectionfilter, senderfilter, recipientfilter, senderid and
// contentfilter; milter bridges to milter filters such as rspamd.
package agent
