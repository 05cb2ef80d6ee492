package crashtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	sender    = "app@contoso.com"
	recipient = "eve@example.net"
	idDomain  = "crashtest.hubedge.invalid"
	// attemptHeader tells the sink's copies of one Message-ID apart: two
	// copies of one attempt are the relay's duplicate, copies of two
	// attempts come from a client retry after a lost 250.
	attemptHeader = "X-Crashtest-Attempt"
)

// ledger records what the clients were told: the acknowledged attempt of
// every Message-ID that got a 250, and the counts of attempts and errors.
type ledger struct {
	mu       sync.Mutex
	acked    map[string]int    // Message-ID -> attempt that got the 250
	bodies   map[string]string // Message-ID -> the body text every attempt carries
	attempts int
	failures int // attempts without a 250
	refused  int // of those, with an SMTP reply (not a broken connection)
	// pending holds, for a Message-ID still without a 250, its number of
	// attempts and its last error: what the clients were stuck on when
	// they did not finish in time.
	pending map[string]string
}

func newLedger() *ledger {
	return &ledger{acked: map[string]int{}, bodies: map[string]string{}, pending: map[string]string{}}
}

// stuck describes the Message-IDs still without a 250, for a failure
// report.
func (l *ledger) stuck() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := make([]string, 0, len(l.pending))
	for id, last := range l.pending {
		lines = append(lines, id+": "+last)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func (l *ledger) record(id, body string, attempt int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts++
	l.bodies[id] = body
	if err == nil {
		l.acked[id] = attempt
		delete(l.pending, id)
		return
	}
	l.failures++
	l.pending[id] = fmt.Sprintf("attempt %d at %s: %v", attempt, time.Now().Format("15:04:05.000"), err)
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		l.refused++
	}
}

// client sends messages one after another over a reused connection until
// stop closes, retrying each message (a new attempt, same Message-ID)
// until it gets a 250. It gives up only when ctx ends.
type client struct {
	n      int
	addr   string
	gate   *gate
	ledger *ledger

	c *smtp.Client
}

func (cl *client) run(ctx context.Context, stop <-chan struct{}) {
	defer cl.hangUp()
	for seq := 1; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		id := fmt.Sprintf("<c%02d.m%06d@%s>", cl.n, seq, idDomain)
		body := bodyFor(id)
		for attempt := 1; ; attempt++ {
			if ctx.Err() != nil {
				return
			}
			err := cl.send(id, body, attempt)
			cl.ledger.record(id, body, attempt, err)
			if err == nil {
				break
			}
			cl.hangUp()
			var se *smtp.SMTPError
			if errors.As(err, &se) {
				pause(ctx, 20*time.Millisecond) // a refusal: the relay is up but busy
			}
			cl.gate.wait(ctx)
		}
	}
}

// bodyFor is the text after the header, derived from the ID so the sink's
// copy can be checked byte for byte.
func bodyFor(id string) string {
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, "line %d of %s: the quick brown fox jumps over the lazy dog\r\n", i, id)
	}
	return b.String()
}

func (cl *client) send(id, body string, attempt int) error {
	if cl.c == nil {
		conn, err := net.DialTimeout("tcp", cl.addr, 5*time.Second)
		if err != nil {
			return err
		}
		c := smtp.NewClient(conn)
		c.CommandTimeout, c.SubmissionTimeout = 20*time.Second, 20*time.Second
		if err := c.Hello("client.contoso.com"); err != nil {
			c.Close()
			return err
		}
		cl.c = c
	}
	if err := cl.c.Mail(sender, nil); err != nil {
		return err
	}
	if err := cl.c.Rcpt(recipient, nil); err != nil {
		return err
	}
	w, err := cl.c.Data()
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: crash test\r\nMessage-ID: %s\r\n%s: %d\r\n\r\n%s",
		sender, recipient, id, attemptHeader, attempt, body)
	if _, err := w.Write([]byte(msg)); err != nil {
		w.Close()
		return err
	}
	return w.Close() // nil only for a 250 after the final dot
}

func (cl *client) hangUp() {
	if cl.c != nil {
		cl.c.Close()
		cl.c = nil
	}
}
