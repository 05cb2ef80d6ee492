package agent

import (
	"context"
	"io"
	"strings"
)

// Conn runs a chain's receive events for one SMTP connection. The
// session gets one from Chain.Open when the connection is accepted, calls
// the method of each event as it happens, and Disconnect at the end. A
// method returning a non-nil *Reply means: write that reply instead of
// the session's own (and close the connection if Reply.Disconnect).
//
// A nil *Conn is valid and runs nothing: Open returns nil when no agent is
// enabled on the connector, so a transport without agents pays one nil
// check per event. A Conn is used by its session's goroutine only.
type Conn struct {
	c *Chain
	p *pipeline
	s Session
	v vars
}

// Open starts the agent events of one connection accepted on the receive
// connector s.Connector from s.Remote. It returns nil if no agent is
// enabled there.
func (c *Chain) Open(s Session) *Conn {
	snap := c.snap.Load()
	p := snap.all
	if len(snap.by) > 0 { // ToLower allocates: only when some agent names connectors
		if q := snap.by[strings.ToLower(s.Connector)]; q != nil {
			p = q
		}
	}
	if p.empty() {
		return nil
	}
	return &Conn{c: c, p: p, s: s}
}

// Session returns what the Conn knows of the connection.
func (k *Conn) Session() Session {
	if k == nil {
		return Session{}
	}
	return k.s
}

func (k *Conn) command(ctx context.Context, ev Event, arg string, params []string, rep *Reply) *Reply {
	for _, en := range k.p.ev[ev] {
		e := &CommandEvent{Session: k.s, Arg: arg, Params: params, Reply: rep, vars: &k.v}
		if r, _ := k.c.call(ctx, en, ev, func(ctx context.Context) error {
			return dispatchCommand(ctx, ev, en.agent, e)
		}); r != nil {
			return k.rejected(ctx, ev, r)
		}
	}
	return nil
}

// rejected raises OnReject for a refusal an agent gave, so that agents
// that ran before it learn that the command failed after all.
func (k *Conn) rejected(ctx context.Context, ev Event, r *Reply) *Reply {
	switch ev {
	case EventReject, EventRset, EventDisconnect:
		return nil // notifications answer nothing
	}
	k.command(ctx, EventReject, ev.String(), nil, r)
	return r
}

// Connect raises OnConnect, before the greeting.
func (k *Conn) Connect(ctx context.Context) *Reply {
	if k == nil {
		return nil
	}
	return k.command(ctx, EventConnect, "", nil, nil)
}

// Helo raises OnHeloCommand with the HELO argument, after the session's
// own checks and before its 250.
func (k *Conn) Helo(ctx context.Context, name string) *Reply {
	if k == nil {
		return nil
	}
	k.s.HeloName = name
	return k.command(ctx, EventHelo, name, nil, nil)
}

// Ehlo raises OnEhloCommand, as Helo.
func (k *Conn) Ehlo(ctx context.Context, name string) *Reply {
	if k == nil {
		return nil
	}
	k.s.HeloName = name
	return k.command(ctx, EventEhlo, name, nil, nil)
}

// StartTLS raises OnStartTlsCommand when STARTTLS is received, before the
// 220. Call TLSEstablished after the handshake.
func (k *Conn) StartTLS(ctx context.Context) *Reply {
	if k == nil {
		return nil
	}
	return k.command(ctx, EventStartTLS, "", nil, nil)
}

// TLSEstablished records a completed TLS handshake; it raises no event.
func (k *Conn) TLSEstablished() {
	if k != nil {
		k.s.TLS = true
	}
}

// Auth raises OnAuthCommand with the mechanism, before the exchange.
func (k *Conn) Auth(ctx context.Context, mechanism string) *Reply {
	if k == nil {
		return nil
	}
	return k.command(ctx, EventAuth, mechanism, nil, nil)
}

// EndOfAuthentication raises OnEndOfAuthentication after the SASL
// exchange and before its 235/535; user is empty when it failed.
func (k *Conn) EndOfAuthentication(ctx context.Context, mechanism, user string) *Reply {
	if k == nil {
		return nil
	}
	k.s.AuthUser = user
	return k.command(ctx, EventEndOfAuthentication, mechanism, nil, nil)
}

// Mail raises OnMailCommand after the session accepted MAIL FROM and
// before its 250; from is the reverse path without brackets ("" for <>).
func (k *Conn) Mail(ctx context.Context, from string, params []string) *Reply {
	if k == nil {
		return nil
	}
	k.s.Sender, k.s.HasSender, k.s.Recipients = from, true, nil
	r := k.command(ctx, EventMail, from, params, nil)
	if r != nil {
		k.s.Sender, k.s.HasSender = "", false
	}
	return r
}

// Rcpt raises OnRcptCommand after the session's own checks (relay,
// limits) passed and before its 250; an accepted recipient is added to
// Session.Recipients for later events.
func (k *Conn) Rcpt(ctx context.Context, to string, params []string) *Reply {
	if k == nil {
		return nil
	}
	r := k.command(ctx, EventRcpt, to, params, nil)
	if r == nil {
		// A new backing array per RSET/MAIL (never reused) keeps copies
		// held by late agents intact.
		k.s.Recipients = append(k.s.Recipients, to)
	}
	return r
}

// Data raises OnDataCommand on DATA or the first BDAT, before the 354.
func (k *Conn) Data(ctx context.Context) *Reply {
	if k == nil {
		return nil
	}
	return k.command(ctx, EventData, "", nil, nil)
}

// EndOfHeaders raises OnEndOfHeaders when the header block has been read
// (m.Body nil). Agents' edits are applied to m. A non-nil reply is the
// answer to the whole DATA (given when the data ends).
func (k *Conn) EndOfHeaders(ctx context.Context, m *Message) *Reply {
	if k == nil {
		return nil
	}
	if r := k.c.message(ctx, k.p, EventEndOfHeaders, k.s, &k.v, m); r != nil {
		return k.rejected(ctx, EventEndOfHeaders, r)
	}
	return nil
}

// EndOfData raises OnEndOfData after the final dot (or BDAT LAST) and
// before the message is queued and answered 250. Agents' edits are
// applied to m; queue what m.DeliverTo returns, or nothing if m.Discard
// (still answering 250).
func (k *Conn) EndOfData(ctx context.Context, m *Message) *Reply {
	if k == nil {
		return nil
	}
	if r := k.c.message(ctx, k.p, EventEndOfData, k.s, &k.v, m); r != nil {
		return k.rejected(ctx, EventEndOfData, r)
	}
	return nil
}

// Noop raises OnNoopCommand.
func (k *Conn) Noop(ctx context.Context) *Reply {
	if k == nil {
		return nil
	}
	return k.command(ctx, EventNoop, "", nil, nil)
}

// Rset raises OnRsetCommand (a notification) and forgets the
// transaction. Call it on RSET and when a new EHLO resets the session.
func (k *Conn) Rset(ctx context.Context) {
	if k == nil {
		return
	}
	k.s.Sender, k.s.HasSender, k.s.Recipients = "", false, nil
	k.command(ctx, EventRset, "", nil, nil)
}

// Rejected raises OnReject (a notification) after the session wrote a
// 4xx or 5xx reply of its own; refusals by agents raise it by
// themselves.
func (k *Conn) Rejected(ctx context.Context, r Reply) {
	if k == nil {
		return
	}
	k.command(ctx, EventReject, "", nil, &r)
}

// Disconnect raises OnDisconnect (a notification) when the connection
// ends, however it ends.
func (k *Conn) Disconnect(ctx context.Context) {
	if k == nil {
		return
	}
	k.command(ctx, EventDisconnect, "", nil, nil)
}

// message runs a message event's agents, applying each one's edits before
// the next sees the message. It stops at a reply or a discard.
func (c *Chain) message(ctx context.Context, p *pipeline, ev Event, s Session, v *vars, m *Message) *Reply {
	for _, en := range p.ev[ev] {
		e := &MessageEvent{Session: s, Header: m.Header, Recipients: m.Recipients, SCL: m.SCL, vars: v}
		if m.Body != nil {
			e.Body = io.NewSectionReader(m.Body, 0, m.BodySize)
		}
		r, ok := c.call(ctx, en, ev, func(ctx context.Context) error {
			return dispatchMessage(ctx, ev, en.agent, e)
		})
		if ok {
			e.apply(m)
		}
		if r != nil {
			return r
		}
		if m.Discard {
			return nil
		}
	}
	return nil
}
