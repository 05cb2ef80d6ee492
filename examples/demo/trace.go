package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/transport"
)

// recorder turns the transports' trace events (transport.WithTrace) into
// story lines. Events arrive on session and queue goroutines, so lines are
// buffered and printed by the step that caused them once it is done.
type recorder struct {
	out     io.Writer
	verbose bool

	mu     sync.Mutex
	lines  []string
	events []tagged // every event, for the steps' checks
}

// tagged is an event with the transport that reported it.
type tagged struct {
	who string
	e   transport.Event
}

func newRecorder(out io.Writer, verbose bool) *recorder {
	return &recorder{out: out, verbose: verbose}
}

// say adds a line of the demo's own, in order with the trace.
func (r *recorder) say(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, "    "+fmt.Sprintf(format, args...))
}

// flush prints the buffered lines.
func (r *recorder) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		fmt.Fprintln(r.out, l)
	}
	r.lines = r.lines[:0]
}

// discard drops the buffered lines.
func (r *recorder) discard() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = r.lines[:0]
}

// find returns the events of who (a hook name) that match pred.
func (r *recorder) find(who string, pred func(transport.Event) bool) []transport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []transport.Event
	for _, t := range r.events {
		if t.who == who && pred(t.e) {
			out = append(out, t.e)
		}
	}
	return out
}

// hook returns the trace function of the transport called who.
func (r *recorder) hook(who string) func(transport.Event) {
	return func(e transport.Event) {
		r.mu.Lock()
		r.events = append(r.events, tagged{who, e})
		r.mu.Unlock()
		line := describe(e)
		if r.verbose && line == "" {
			line = fmt.Sprintf("%s %s from %s, session %s %s", e.Kind, e.Connector, e.Remote, e.Session, e.Detail)
			if e.Queue != nil {
				line = fmt.Sprintf("queue %s %s %s", e.Queue.Type, e.Queue.ID, e.Queue.Queue)
			}
			if e.Delivery != nil {
				line = fmt.Sprintf("delivery %s %s %s", e.Delivery.Kind, e.Delivery.Host, e.Delivery.Addr)
				if r := e.Delivery.Result; r != nil {
					line += fmt.Sprintf(" %s: %d %s %s", e.Delivery.Recipient, r.Code, r.Enhanced, r.Text)
				}
			}
		}
		if line == "" {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.lines = append(r.lines, fmt.Sprintf("    %-4s │ %s", who, line))
	}
}

// describe renders the events a reader of the story cares about, "" for
// the others (connects, disconnects, dials...).
func describe(e transport.Event) string {
	switch e.Kind {
	case smtpx.EventAuth:
		if e.Err != nil {
			return fmt.Sprintf("%s: AUTH failed: %v", e.Connector, e.Err)
		}
		return fmt.Sprintf("%s: %s logged in (%s)", e.Connector, e.Principal, e.Detail)
	case smtpx.EventRefuse:
		return fmt.Sprintf("%s: refused %s: %s", e.Connector, e.Principal, e.Reply)
	case smtpx.EventHeadersStripped:
		return fmt.Sprintf("%s: receive firewall removed %s", e.Connector, removed(e.Stripped))
	case smtpx.EventQueued:
		return fmt.Sprintf("%s: queued as %s (from %s)", e.Connector, e.QueueID, e.Principal)
	case transport.EventQueue:
		return describeQueue(e.Queue)
	case transport.EventDelivery:
		return describeDelivery(e.Delivery)
	}
	return ""
}

func describeQueue(q *queue.Event) string {
	switch q.Type {
	case queue.EventDeliver, queue.EventFail, queue.EventDefer:
		s := fmt.Sprintf("%s %s for %s via %s", q.Type, q.ID, strings.Join(q.Recipients, ","), q.Queue)
		switch {
		case q.Err != nil: // a connection-level failure; its Result repeats it
			s += fmt.Sprintf(": %v", q.Err)
		case q.Result != nil:
			s += fmt.Sprintf(": %d %s %s", q.Result.Code, q.Result.Enhanced, q.Result.Text)
		}
		return s
	case queue.EventDSN:
		return fmt.Sprintf("DSN %s (%s) about %s to %s", q.ID, q.Detail, q.RelatedID, strings.Join(q.Recipients, ","))
	}
	return ""
}

func describeDelivery(d *deliver.Event) string {
	switch d.Kind {
	case deliver.EventTLS:
		v := d.VerifiedName
		if v == "" {
			v = "not checked against a name"
		}
		return fmt.Sprintf("→ %s: STARTTLS %s, certificate %s", d.Addr, d.TLSVersion, v)
	case deliver.EventAuth:
		return fmt.Sprintf("→ %s: AUTH %s accepted", d.Addr, d.Mechanism)
	case deliver.EventHeadersStripped:
		return fmt.Sprintf("→ %s: send firewall (%s) removed %s", d.Addr, d.Hop.Connector, removed(d.Removed))
	}
	return ""
}

func removed(rs []perms.Removed) string {
	names := make([]string, 0, len(rs))
	for _, r := range rs {
		names = append(names, r.Key)
	}
	return strings.Join(names, ", ")
}

func enhanced(c [3]int) string {
	if c[0] == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}

// waitFor polls cond until it holds or ctx ends; mail moves on other
// goroutines, and polling with a deadline needs no guessed sleeps.
func waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

func splitPort(addr string) (string, uint16, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.ParseUint(p, 10, 16)
	return host, uint16(port), err
}

// The outside world's SMTP clients: an anonymous Internet sender and a
// mailbox user (Outlook, say) submitting to the hub.

// login is a client-side AUTH PLAIN after STARTTLS.
type login struct {
	user, pass string
	tls        *tls.Config
}

// send submits msg from → to at addr and returns the final reply text
// ("2.6.0 <id> Queued mail for delivery"). With lg it does STARTTLS and
// AUTH PLAIN first, as submission clients do. A refused command comes back
// as the *smtp.SMTPError go-smtp returns.
func send(addr string, lg *login, from, to, msg string) (string, error) {
	var (
		c   *smtp.Client
		err error
	)
	if lg != nil {
		c, err = smtp.DialStartTLS(addr, lg.tls)
	} else {
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		return "", err
	}
	if lg != nil {
		if err := c.Auth(sasl.NewPlainClient("", lg.user, lg.pass)); err != nil {
			return "", fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return "", fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return "", fmt.Errorf("RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(msg, "\n", "\r\n"))); err != nil {
		return "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	_ = c.Quit()
	return resp.StatusText, nil
}
