package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

const orgPrefix = "X-Ms-Exchange-Organization-" // canonical MIME form

// step1Inbound: an anonymous Internet sender writes to alice@contoso.com
// through the edge's From Internet connector and forges an organization
// header (SCL -1 would bypass anti-spam inside). The edge's receive-side
// header firewall removes it, the edge relays to the hub with Basic auth
// over TLS, and the hub delivers to Alice's Maildir.
func (w *world) step1Inbound(ctx context.Context) error {
	w.explain("edge", w.edgeRoutes, edgeName, alice, "contoso.com is InternalRelay on the edge")
	before, err := w.mailbox.Messages(alice)
	if err != nil {
		return err
	}
	reply, err := send(w.edge.Addr("From Internet").String(), nil, "carol@fabrikam.com", alice,
		"From: carol@fabrikam.com\nTo: alice@contoso.com\nSubject: hello from the Internet\n"+
			"X-MS-Exchange-Organization-SCL: -1\n\nHi Alice!\n")
	if err != nil {
		return err
	}
	w.trace.say("Internet client ← edge: %s", reply)
	path, err := w.waitMailbox(ctx, alice, len(before))
	if err != nil {
		return err
	}
	h, err := readHeader(path)
	if err != nil {
		return err
	}
	if err := w.waitDelivered(ctx, "hub", alice); err != nil {
		return err
	}
	w.trace.say("hub delivered to %s", path)
	// The edge's content filter rates the message itself (SCL 0): the
	// forged -1 must not survive next to it.
	if v := h[orgPrefix+"Scl"]; len(v) != 1 || strings.TrimSpace(v[0]) != "0" {
		return fmt.Errorf("X-MS-Exchange-Organization-SCL %q reached the mailbox, want only the edge's 0", v)
	}
	if len(w.trace.find("edge", func(e transport.Event) bool {
		return e.Kind == smtpx.EventHeadersStripped && e.Connector == "From Internet"
	})) == 0 {
		return errors.New("the edge reported no header removal")
	}
	w.trace.say("forged X-MS-Exchange-Organization-SCL is gone, the edge's content filter rated it SCL 0; the hub stamped AuthAs=%q AuthSource=%q",
		h.Get(orgPrefix+"Authas"), h.Get(orgPrefix+"Authsource"))
	return nil
}

// step2Outbound: Alice submits on the hub's Client connector (STARTTLS,
// then AUTH PLAIN: BasicAuthRequireTLS) to bob@fabrikam.com. The hub sends
// through To Edge, the edge through To Internet by MX. The organization
// headers the hub stamped reach the edge, whose To Internet firewall
// removes them before the Internet sees the message.
func (w *world) step2Outbound(ctx context.Context) error {
	const bob = "bob@fabrikam.com"
	w.explain("hub", w.hubRoutes, hubName, bob, "fabrikam.com is not an accepted domain")
	w.explain("edge", w.edgeRoutes, edgeName, bob, "fabrikam.com is not an accepted domain")
	m, err := w.submit(ctx, bob, "lunch?")
	if err != nil {
		return err
	}
	if !m.TLS {
		return errors.New("the edge delivered to fabrikam.com without TLS")
	}
	for k := range m.Header.Map() {
		if strings.HasPrefix(strings.ToLower(k), strings.ToLower(orgPrefix)) {
			return fmt.Errorf("organization header %s reached the Internet", k)
		}
	}
	// The edge logged the hub in, and its To Internet firewall (not the
	// hub's To Edge one) removed the organization headers: so they crossed
	// hub→edge intact.
	if len(w.trace.find("edge", func(e transport.Event) bool {
		return e.Kind == smtpx.EventAuth && e.Err == nil && e.Connector == "To Internal Org"
	})) == 0 {
		return errors.New("the hub did not authenticate to the edge")
	}
	if n := w.sendStripped("hub", "To Edge"); n > 0 {
		return fmt.Errorf("the hub's To Edge connector removed %d organization headers", n)
	}
	if w.sendStripped("edge", "To Internet") == 0 {
		return errors.New("no organization header reached the edge's To Internet connector")
	}
	w.trace.say("fabrikam.com got it over TLS from %s; no X-MS-Exchange-Organization-* header left", m.Helo)
	return nil
}

// step3Relay: an anonymous client tries to use the edge as an open relay.
// From Internet grants anonymous users no Accept-Any-Recipient right.
func (w *world) step3Relay(ctx context.Context) error {
	// Refusals to unauthenticated clients are tarpitted (delayed), which is
	// most of this demo's run time.
	if rc := w.receiveConnector(w.edge, "From Internet"); rc != nil {
		w.trace.say("From Internet delays refusals to anonymous clients by %v (TarpitInterval)", rc.TarpitInterval())
	}
	_, err := send(w.edge.Addr("From Internet").String(), nil, "mallory@example.org", "eve@example.net",
		"Subject: relay me\n\nspam\n")
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return fmt.Errorf("relay attempt: want 550 5.7.1, got %v", err)
	}
	w.trace.say("anonymous RCPT TO:<eve@example.net> at From Internet → %d %s %s", se.Code, enhanced(se.EnhancedCode), se.Message)
	if se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		return fmt.Errorf("relay attempt: want 550 5.7.1, got %d %v", se.Code, se.EnhancedCode)
	}
	return nil
}

// step4Retry: fabrikam.com's MX is down. The message waits in the edge's
// delivery queue in Retry; the MX comes back on the same port and the
// administrator's Retry-Queue (queue.RetryQueue) delivers it at once,
// without waiting the edge's 10-minute retry interval.
func (w *world) step4Retry(ctx context.Context) error {
	const dave = "dave@fabrikam.com"
	w.sink.Stop()
	w.trace.say("fabrikam.com's MX (%s) is down", w.sink.Addr())
	reply, err := send(w.hub.Addr("Client HUB01").String(), w.aliceLogin(), alice, dave, "Subject: are you there?\n\nping\n")
	if err != nil {
		return err
	}
	w.trace.say("Alice ← hub: %s", reply)
	var waiting queue.QueueInfo
	err = waitFor(ctx, "the edge's fabrikam.com queue to be in Retry", func() (bool, error) {
		for _, qi := range w.edge.Queue().Queues() {
			if qi.NextHopDomain == "fabrikam.com" && qi.Status == queue.QueueRetry && qi.MessageCount > 0 {
				waiting = qi
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	w.trace.say("edge queue %s: %s, %d message(s), next retry in %v", waiting.Identity, waiting.Status,
		waiting.MessageCount, waiting.NextRetryTime.Sub(waiting.LastRetryTime).Round(time.Second))
	for _, m := range w.edge.Queue().Messages(queue.Filter{Queue: waiting.Identity}) {
		w.trace.say("  message %s from %s: %s, %d retries so far", m.ID, m.From, m.Status, m.RetryCount)
	}
	w.sink.Start()
	w.trace.say("fabrikam.com's MX is back; Retry-Queue %q", waiting.Identity)
	if err := w.edge.Queue().RetryQueue(waiting.Identity); err != nil {
		return err
	}
	m, err := w.waitSink(ctx, dave)
	if err != nil {
		return err
	}
	w.trace.say("fabrikam.com accepted %q for %s", m.Header.Get("Subject"), dave)
	return nil
}

// step5NDR: fabrikam.com refuses a recipient for good. The edge fails it
// and sends a DSN (RFC 3464) to the sender, which travels edge → hub like
// any mail for contoso.com and lands in Alice's mailbox.
func (w *world) step5NDR(ctx context.Context) error {
	const nobody = "nobody@fabrikam.com"
	w.sink.Script(nobody, "550 5.1.1 no such user")
	before, err := w.mailbox.Messages(alice)
	if err != nil {
		return err
	}
	reply, err := send(w.hub.Addr("Client HUB01").String(), w.aliceLogin(), alice, nobody, "Subject: hello?\n\nanyone?\n")
	if err != nil {
		return err
	}
	w.trace.say("Alice ← hub: %s", reply)
	path, err := w.waitMailbox(ctx, alice, len(before))
	if err != nil {
		return err
	}
	if err := w.waitDelivered(ctx, "hub", alice); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := dsn.Parse(f)
	if err != nil {
		return fmt.Errorf("Alice's new message is not a DSN: %w", err)
	}
	if len(rep.Recipients) != 1 {
		return fmt.Errorf("DSN reports %d recipients, want 1", len(rep.Recipients))
	}
	r := rep.Recipients[0]
	w.trace.say("NDR in Alice's mailbox: Reporting-MTA %s, %s %s %s, %s", rep.ReportingMTA, r.FinalRecipient, r.Action,
		r.Status, r.DiagnosticCode)
	if !strings.EqualFold(r.FinalRecipient, "rfc822;"+nobody) || r.Status != dsn.MustParseStatus("5.1.1") {
		return fmt.Errorf("DSN says %s %s, want rfc822;%s 5.1.1", r.FinalRecipient, r.Status, nobody)
	}
	return nil
}

// step6Spam: an Internet sender sends spam (the GTUBE test string) to
// Alice. The edge's Content Filter agent rates it SCL 9 at end of data and
// rejects it (SCL 7 and above) before it is queued: the hub never sees it.
func (w *world) step6Spam(ctx context.Context) error {
	_, err := send(w.edge.Addr("From Internet").String(), nil, "spammer@example.org", alice,
		"From: spammer@example.org\nTo: alice@contoso.com\nSubject: you have won\n\n"+gtube+"\n")
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return fmt.Errorf("spam: want 550 5.7.1, got %v", err)
	}
	w.trace.say("spam at From Internet, end of data → %d %s %s", se.Code, enhanced(se.EnhancedCode), se.Message)
	if se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		return fmt.Errorf("spam: want 550 5.7.1, got %d %v", se.Code, se.EnhancedCode)
	}
	for _, m := range w.edge.Queue().Messages(queue.Filter{}) {
		if m.From == "spammer@example.org" {
			return fmt.Errorf("the spam was queued at the edge as %s", m.ID)
		}
	}
	return nil
}

// submit sends a message from Alice through the hub's Client connector and
// waits for fabrikam.com to receive it.
func (w *world) submit(ctx context.Context, to, subject string) (smtptest.Message, error) {
	reply, err := send(w.hub.Addr("Client HUB01").String(), w.aliceLogin(), alice, to,
		"From: alice@contoso.com\nTo: "+to+"\nSubject: "+subject+"\n\nHi!\n")
	if err != nil {
		return smtptest.Message{}, err
	}
	w.trace.say("Alice ← hub (STARTTLS, AUTH PLAIN on Client HUB01): %s", reply)
	return w.waitSink(ctx, to)
}

func (w *world) receiveConnector(t *transport.Transport, name string) *connector.ReceiveConnector {
	for _, rc := range t.ReceiveConnectors() {
		if rc.Name() == name {
			return rc
		}
	}
	return nil
}

func (w *world) aliceLogin() *login {
	return &login{user: alice, pass: password, tls: w.pki.ClientTLSConfig(hubName)}
}

// explain prints how a transport routes rcpt and why, from the routing
// table's own account (routing.Table.Explain).
func (w *world) explain(who string, t *routing.Table, server, rcpt, why string) {
	cands := t.Explain("SMTP", rcpt, routing.Origin{Server: server, Site: site})
	for _, c := range cands {
		mark := " "
		if c.Selected {
			mark = "✔"
		}
		w.trace.say("%-4s │ route %s (%s): %s %q %s: %s", who, rcpt, why, mark, c.Entry.Connector, c.Entry.Space, c.Reason)
	}
}

// sendStripped counts the organization headers the send-side firewall of
// who's connector removed.
func (w *world) sendStripped(who, conn string) int {
	n := 0
	for _, e := range w.trace.find(who, func(e transport.Event) bool {
		return e.Kind == transport.EventDelivery && e.Delivery.Kind == deliver.EventHeadersStripped && e.Delivery.Hop.Connector == conn
	}) {
		for _, r := range e.Delivery.Removed {
			if strings.HasPrefix(r.Key, orgPrefix) {
				n++
			}
		}
	}
	return n
}

// waitMailbox waits for addr's Maildir to hold more than had messages and
// returns the newest.
func (w *world) waitMailbox(ctx context.Context, addr string, had int) (string, error) {
	var paths []string
	err := waitFor(ctx, "delivery to "+addr, func() (bool, error) {
		var err error
		paths, err = w.mailbox.Messages(addr)
		return len(paths) > had, err
	})
	if err != nil {
		return "", err
	}
	return paths[len(paths)-1], nil
}

// waitDelivered waits for who's queue to report a DELIVER to rcpt that
// the story has not seen yet, so each step's trace ends with its own
// final delivery.
func (w *world) waitDelivered(ctx context.Context, who, rcpt string) error {
	seen := w.seen[who+rcpt]
	return waitFor(ctx, who+" to report delivery to "+rcpt, func() (bool, error) {
		n := len(w.trace.find(who, func(e transport.Event) bool {
			return e.Kind == transport.EventQueue && e.Queue.Type == queue.EventDeliver && slices.Contains(e.Queue.Recipients, rcpt)
		}))
		if n > seen {
			w.seen[who+rcpt] = n
			return true, nil
		}
		return false, nil
	})
}

// waitSink waits for fabrikam.com's MX to accept a message for rcpt.
func (w *world) waitSink(ctx context.Context, rcpt string) (smtptest.Message, error) {
	var found smtptest.Message
	err := waitFor(ctx, "fabrikam.com to receive mail for "+rcpt, func() (bool, error) {
		for _, m := range w.sink.Messages() {
			if slices.Contains(m.To, rcpt) {
				found = m
				return true, nil
			}
		}
		return false, nil
	})
	return found, err
}

func readHeader(path string) (mail.Header, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return m.Header, nil
}
