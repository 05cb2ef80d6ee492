package smtpx

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// openAgents starts the agent events of a connection (WithAgents); nil
// when no agent runs on its connector, and every agent.Conn method is then
// a nil check.
func (sc *serverConn) openAgents() {
	chain := sc.t.opts.agents
	if chain == nil {
		return
	}
	sc.ag = chain.Open(agent.Session{
		ID:        sc.c.id,
		Connector: sc.s.rc.Name(),
		Remote:    sc.c.remote,
		Local:     addrPortOf(sc.c.LocalAddr()),
		// A connector whose peers are secured outside SMTP carries the
		// organization's own traffic, which the anti-spam agents spare.
		Internal: sc.s.rc.AuthMechanism().Has(auth.ExternalAuthoritative),
	})
}

// agentSaid converts an agent's reply to the one written, remembering it so
// that write does not report it back to the agents as the session's own
// refusal (the chain has raised OnReject for it already). A Disconnect
// reply is the session's last.
func (sc *serverConn) agentSaid(r *agent.Reply) *dsn.Reply {
	if r.Disconnect {
		sc.c.closeAfterReply()
	}
	st, _ := dsn.ParseStatus(r.Enhanced) // none when it is not one
	e := &dsn.Reply{Code: r.Code, Status: st, Text: r.Text}
	if e.Text == "" {
		e.Text = "Refused by a transport agent"
	}
	sc.fromAgent = e
	return e
}

// writeAgent writes an agent's reply instead of the session's.
func (sc *serverConn) writeAgent(r *agent.Reply) { sc.write(sc.agentSaid(r)) }

// rejected tells the agents about a 4xx or 5xx the session wrote itself.
func (sc *serverConn) rejected(r *dsn.Reply) {
	if r == sc.fromAgent {
		return
	}
	sc.ag.Rejected(sc.t.ctx, agent.Reply{Code: r.Code, Enhanced: r.Enhanced(), Text: r.Text})
}

// mailParams lists MAIL FROM's ESMTP parameters as the client gave them.
func mailParams(m wire.Mail) []string {
	var ps []string
	if m.Size >= 0 {
		ps = append(ps, "SIZE="+strconv.FormatInt(m.Size, 10))
	}
	switch m.Body {
	case wire.Body8BitMIME:
		ps = append(ps, "BODY=8BITMIME")
	case wire.BodyBinaryMIME:
		ps = append(ps, "BODY=BINARYMIME")
	}
	if m.SMTPUTF8 {
		ps = append(ps, "SMTPUTF8")
	}
	if m.RequireTLS {
		ps = append(ps, "REQUIRETLS")
	}
	if m.Ret != "" {
		ps = append(ps, "RET="+m.Ret)
	}
	if m.EnvID != "" {
		ps = append(ps, "ENVID="+m.EnvID)
	}
	if m.Auth != "" {
		ps = append(ps, "AUTH="+m.Auth)
	}
	return ps
}

// rcptParams lists RCPT TO's ESMTP parameters.
func rcptParams(r wire.Rcpt) []string {
	var ps []string
	if r.Notify != "" {
		ps = append(ps, "NOTIFY="+r.Notify)
	}
	if r.ORCPT != "" {
		ps = append(ps, "ORCPT="+r.ORCPTType+";"+r.ORCPT)
	}
	return ps
}

// spoolMemory is how much of a body agents see is held in memory; the rest
// goes to a temporary file, so a large message costs disk, not heap.
const spoolMemory = 1 << 20

// spool holds a message body for the end-of-data agents, who read it at
// will (io.ReaderAt) before it is queued.
type spool struct {
	mem  []byte
	f    *os.File
	size int64
}

// fill reads r to its end into the spool.
func (sp *spool) fill(r io.Reader) error {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, spoolMemory))
	sp.mem, sp.size = buf.Bytes(), n
	if err != nil || n < spoolMemory {
		return err
	}
	if sp.f, err = os.CreateTemp("", "hubedge-body-*"); err != nil {
		return err
	}
	_ = os.Remove(sp.f.Name()) // unlinked: gone with the descriptor
	m, err := io.Copy(sp.f, r)
	sp.size += m
	return err
}

func (sp *spool) ReadAt(p []byte, off int64) (int, error) {
	if off < int64(len(sp.mem)) {
		n := copy(p, sp.mem[off:])
		if n == len(p) {
			return n, nil
		}
		if sp.f == nil {
			return n, io.EOF
		}
		m, err := sp.f.ReadAt(p[n:], 0)
		return n + m, err
	}
	if sp.f == nil {
		return 0, io.EOF
	}
	return sp.f.ReadAt(p, off-int64(len(sp.mem)))
}

func (sp *spool) close() {
	if sp.f != nil {
		sp.f.Close()
	}
}

// agentCtx is the context agent events run under: the server's, so
// that Shutdown's cancellation reaches a blocking agent.
func (sc *serverConn) agentCtx() context.Context { return sc.t.ctx }

// greetAgents raises HELO or EHLO, writing an agent's reply if one refused
// it.
func (sc *serverConn) greetAgents(ehlo bool, helo string) bool {
	if sc.ag == nil {
		return false
	}
	var r *agent.Reply
	if ehlo {
		r = sc.ag.Ehlo(sc.agentCtx(), helo)
	} else {
		r = sc.ag.Helo(sc.agentCtx(), helo)
	}
	if r == nil {
		return false
	}
	sc.writeAgent(r)
	return true
}

// tellAgentsIdentity reports a login made without AUTH (mutual TLS with a
// trusted transport server) as an end of authentication, so the agents
// know the peer is authenticated.
func (s *session) tellAgentsIdentity() {
	if s.sc.ag == nil || s.id.Mechanism == "" || s.id.Principal == "" {
		return
	}
	s.sc.ag.EndOfAuthentication(s.sc.agentCtx(), s.id.Mechanism, string(s.id.Principal))
}

// dataAgents finishes a receive when agents run on the connector: they see
// the header block the firewall kept (end of headers), then the whole body
// (end of data), and what is queued is the message as they left it: their
// header fields, their recipients, their body, or nothing if they discarded
// it. The body is spooled first, so agents can read it before the client
// gets its reply; recipients dropped with an NDR get one, queued with the
// message so that the sender hears of every recipient the 250 covered.
func (s *session) dataAgents(st *receiveState, facts *headerFacts, now time.Time) error {
	t, k, ctx := s.s.t, s.sc.ag, s.sc.agentCtx()
	rcpts := make([]string, len(s.env.Recipients))
	for i, r := range s.env.Recipients {
		rcpts[i] = r.Address
	}
	m := agent.NewMessage(agent.ParseHeader(st.hdr), rcpts...)
	if r := k.EndOfHeaders(ctx, m); r != nil {
		return s.sc.agentSaid(r) // the rest of the data is read and dropped
	}
	var sp spool
	defer sp.close()
	if err := sp.fill(st.br); err != nil {
		if st.body.err != nil {
			if st.body.err == replyTooBig {
				return replyTooBig
			}
			return st.body.err
		}
		t.log.Warn("smtpx: spooling a message for the agents failed", "session", s.c.id, "err", err)
		return replyLocalError
	}
	m.Body, m.BodySize = &sp, sp.size
	if r := k.EndOfData(ctx, m); r != nil {
		return s.sc.agentSaid(r)
	}
	id := t.q.NewID()
	if m.Discard {
		s.trace(Event{Kind: EventAgent, QueueID: id, Detail: "discarded"})
		return queuedReply(id)
	}
	env := s.env
	env.HopCount = facts.hops
	env.Received = now
	if subject, ok := agent.HeaderValue(m.Header, "Subject"); ok {
		env.Subject = strings.TrimSpace(subject) // as the agents left it
	}
	env.Recipients = agentRecipients(s.env.Recipients, m.DeliverTo())
	if m.Quarantine != "" {
		s.trace(Event{Kind: EventAgent, QueueID: id, Detail: "quarantined to " + m.Quarantine})
	}
	// The fields as the agents left them decide what a submission lacks.
	if v, ok := agent.HeaderValue(m.Header, "Message-ID"); ok {
		facts.msgID = strings.TrimSpace(v)
	}
	_, facts.date = agent.HeaderValue(m.Header, "Date")
	st.stamped = s.appendReceived(st.stamped[:0], string(id), now)
	st.stamped = agent.AppendHeader(st.stamped, m.Header)
	st.stamped = s.appendSubmissionFields(st.stamped, facts, string(id), now)
	st.stamped = s.appendAuthFields(st.stamped, &facts.auth)
	env.MessageID = facts.msgID
	st.stamped = append(st.stamped, '\r', '\n')
	if len(env.Recipients) > 0 {
		body := io.NewSectionReader(m.Body, 0, m.BodySize)
		if err := t.q.EnqueueWithID(t.ctx, id, env, io.MultiReader(bytes.NewReader(st.stamped), body)); err != nil {
			t.log.Warn("smtpx: enqueue failed", "session", s.c.id, "err", err)
			return Status(err)
		}
		t.loops.transit(facts.loopKey, now)
		s.trace(Event{Kind: EventQueued, QueueID: id})
		s.logQueued(id, facts, &env)
	}
	if err := s.agentNDRs(id, env, m, st.stamped, now); err != nil && len(env.Recipients) == 0 {
		return Status(err) // nothing durable yet: the client may try again
	}
	return queuedReply(id)
}

// agentRecipients maps where agents deliver the message to queue
// recipients, keeping the DSN parameters of those the client named.
func agentRecipients(orig []queue.Recipient, to []agent.Recipient) []queue.Recipient {
	out := make([]queue.Recipient, 0, len(to))
	for _, r := range to {
		q := queue.Recipient{Address: r.Address}
		for _, o := range orig {
			if strings.EqualFold(o.Address, r.Address) {
				q = o
				break
			}
		}
		out = append(out, q)
	}
	return out
}

// agentNDRs queues one non-delivery report for the recipients agents
// dropped with an NDR, returning the header of the message. The null
// sender gets none (RFC 5321 §4.5.5).
func (s *session) agentNDRs(id queue.ID, env queue.Envelope, m *agent.Message, header []byte, now time.Time) error {
	if env.From == "" || m.Quarantine != "" {
		return nil
	}
	t := s.s.t
	var reports []dsn.RecipientReport
	var dropped []string
	for _, r := range m.Recipients {
		if !r.Dropped || r.NDR == nil {
			continue
		}
		st, err := dsn.ParseStatus(r.NDR.Enhanced)
		if err != nil {
			st = dsn.StatusForReply(r.NDR.Code)
		}
		reports = append(reports, dsn.RecipientReport{FinalRecipient: r.Address, Action: dsn.Failed, Status: st,
			DiagnosticCode: "smtp; " + r.NDR.String(), LastAttempt: now})
		dropped = append(dropped, r.Address)
	}
	if len(reports) == 0 {
		return nil
	}
	ndrID := t.q.NewID()
	n := &dsn.Notification{
		From:      "postmaster@" + t.opts.serverName,
		To:        env.From,
		Date:      now,
		MessageID: "<" + string(ndrID) + "@" + t.opts.serverName + ">",
		Report:    dsn.Report{ReportingMTA: t.opts.serverName, EnvID: env.EnvID, ArrivalDate: now, Recipients: reports},
		Original:  bytes.NewReader(header),
		EightBit:  env.EightBitMIME || env.SMTPUTF8,
	}
	var b bytes.Buffer
	if err := dsn.Write(&b, n); err != nil {
		t.log.Warn("smtpx: NDR for recipients dropped by agents not written", "session", s.c.id, "err", err)
		return err
	}
	nenv := queue.Envelope{Recipients: []queue.Recipient{{Address: env.From, Notify: dsn.NotifyNever}},
		SMTPUTF8: env.SMTPUTF8, EightBitMIME: n.EightBit, Received: now}
	if err := t.q.EnqueueWithID(t.ctx, ndrID, nenv, &b); err != nil {
		t.log.Warn("smtpx: NDR for recipients dropped by agents not queued", "session", s.c.id, "err", err)
		return err
	}
	s.trace(Event{Kind: EventAgent, QueueID: id, Detail: "dropped " + strings.Join(dropped, ",")})
	return nil
}
