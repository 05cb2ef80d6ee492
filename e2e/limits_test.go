package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

const minSize = 65536 // the smallest MaxMessageSize a connector takes

// limited starts an Internet connector with opts and returns its address.
func limited(t *testing.T, opts ...func(*connector.ReceiveConfig)) string {
	t.Helper()
	rc := smtptest.InternetConnector(t, opts...)
	tr, _ := startTransport(t, transport.WithReceiveConnector(rc))
	return addr(t, tr, rc.Name())
}

func hello(t *testing.T, a string) *smtptest.Client {
	t.Helper()
	r, banner := smtptest.Dial(t, a)
	if !strings.HasPrefix(banner, "220 ") {
		t.Fatalf("banner %q", banner)
	}
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	return r
}

// Each limit is answered with its code, and the server keeps serving
// another client afterwards (served).
func TestLimits(t *testing.T) {
	big := strings.Repeat(strings.Repeat("x", 998)+"\r\n", minSize/1000+8)
	tests := []struct {
		name string
		opts []func(*connector.ReceiveConfig)
		run  func(t *testing.T, r *smtptest.Client)
	}{{
		name: "SIZE parameter over the limit",
		opts: []func(*connector.ReceiveConfig){func(c *connector.ReceiveConfig) { c.MaxMessageSize = minSize }},
		run: func(t *testing.T, r *smtptest.Client) {
			smtptest.Expect(t, r, smtptest.Step{fmt.Sprintf("MAIL FROM:<a@fabrikam.com> SIZE=%d", minSize+1), "552 5.3.4"})
		},
	}, {
		name: "oversize by DATA",
		opts: []func(*connector.ReceiveConfig){func(c *connector.ReceiveConfig) { c.MaxMessageSize = minSize }},
		run: func(t *testing.T, r *smtptest.Client) {
			smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
				smtptest.Step{"DATA:Subject: big\r\n\r\n" + big, "552 5.3.4"})
		},
	}, {
		name: "oversize by BDAT",
		opts: []func(*connector.ReceiveConfig){func(c *connector.ReceiveConfig) { c.MaxMessageSize = minSize }},
		run: func(t *testing.T, r *smtptest.Client) {
			smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"})
			chunk := "Subject: big\r\n\r\n" + big
			half := len(chunk) / 2
			if got := r.Send(fmt.Sprintf("BDAT %d\r\n%s", half, chunk[:half])); !strings.HasPrefix(got, "250") {
				t.Fatalf("first chunk: %q", got)
			}
			rest := chunk[half:]
			if got := r.Send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(rest), rest)); !strings.HasPrefix(got, "552 5.3.4") {
				t.Errorf("BDAT LAST over the limit: %q", got)
			}
		},
	}, {
		name: "too many recipients",
		opts: []func(*connector.ReceiveConfig){func(c *connector.ReceiveConfig) { c.MaxRecipientsPerMessage = 2 }},
		run: func(t *testing.T, r *smtptest.Client) {
			smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<a@contoso.com>", "250"},
				smtptest.Step{"RCPT TO:<b@contoso.com>", "250"}, smtptest.Step{"RCPT TO:<c@contoso.com>", "452 4.5.3"},
				smtptest.Step{"DATA:" + message("Subject: two of three"), "250 2.6.0 <"})
		},
	}, {
		name: "over-long command line",
		run: func(t *testing.T, r *smtptest.Client) {
			got := r.Cmd("MAIL FROM:<" + strings.Repeat("a", 4096) + "@fabrikam.com>")
			if !strings.HasPrefix(got, "500 5.") && got != "EOF" {
				t.Errorf("over-long line: %q", got)
			}
		},
	}, {
		name: "over-long header block",
		opts: []func(*connector.ReceiveConfig){func(c *connector.ReceiveConfig) { c.MaxHeaderSize = 1024 }},
		run: func(t *testing.T, r *smtptest.Client) {
			smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"})
			got := r.Data(strings.Repeat("X-Filler: "+strings.Repeat("y", 90)+"\r\n", 20) + "Subject: x\r\n\r\nbody\r\n")
			if !strings.HasPrefix(got, "552 5.3.4") && !strings.HasPrefix(got, "554 5.") && got != "EOF" {
				t.Errorf("header over MaxHeaderSize: %q", got)
			}
		},
	}, {
		name: "over-long line in the body",
		run: func(t *testing.T, r *smtptest.Client) {
			smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"})
			got := r.Data("Subject: x\r\n\r\n" + strings.Repeat("z", 4096) + "\r\n")
			if got != "500 5.5.2 Line too long, closing connection" || !r.Closed(closeWait) {
				t.Errorf("over-long body line: %q", got)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := limited(t, tc.opts...)
			tc.run(t, hello(t, a))
			served(t, a)
		})
	}
}

// A client that stops talking is dropped at ConnectionInactivityTimeout,
// at the command prompt and in the middle of a message body, while another
// client is served meanwhile.
func TestSlowClientTimesOut(t *testing.T) {
	const idle = time.Second // the connector's minimum
	a := limited(t, func(c *connector.ReceiveConfig) { c.ConnectionInactivityTimeout = idle })
	for _, stall := range []string{"command", "body"} {
		t.Run(stall, func(t *testing.T) {
			r := hello(t, a)
			if stall == "body" {
				smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
					smtptest.Step{"DATA", "354"})
				if _, err := r.Write([]byte("Subject: half\r\n")); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			served(t, a)
			got := r.ReadReply()
			want := "421 4.4.2" // at the prompt; mid-body the transfer is aborted
			if stall == "body" {
				want = "451 4.4.2 Connection dropped during message transfer"
			}
			if got != "EOF" && !strings.HasPrefix(got, want) {
				t.Errorf("idle client got %q", got)
			}
			if !r.Closed(closeWait) {
				t.Fatal("idle connection still open")
			}
			if d := time.Since(start); d > 10*idle {
				t.Errorf("closed after %v, timeout %v", d, idle)
			}
		})
	}
}

// Floods: beyond MaxInboundConnection every new connection gets 421 4.3.2;
// beyond MaxInboundConnectionPerSource only that source does.
func TestConnectionFloods(t *testing.T) {
	t.Run("total", func(t *testing.T) {
		a := limited(t, func(c *connector.ReceiveConfig) { c.MaxInboundConnection, c.MaxInboundConnectionPerSource = 3, 100 })
		var held []*smtptest.Client
		for range 3 {
			held = append(held, hello(t, a))
		}
		for range 5 {
			r, banner := smtptest.Dial(t, a)
			if !strings.HasPrefix(banner, "421 4.3.2") || !r.Closed(closeWait) {
				t.Errorf("connection over the total limit: %q", banner)
			}
		}
		// Those inside are still served...
		smtptest.Expect(t, held[0], smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
			smtptest.Step{"DATA:" + message("Subject: inside the flood"), "250 2.6.0 <"}, smtptest.Step{"QUIT", "221"})
		// ...and a slot freed is a slot for the next client.
		if !held[0].Closed(closeWait) {
			t.Fatal("QUIT did not close")
		}
		servedEventually(t, a)
	})
	t.Run("per source", func(t *testing.T) {
		a := limited(t, func(c *connector.ReceiveConfig) { c.MaxInboundConnection, c.MaxInboundConnectionPerSource = 100, 2 })
		hello(t, a)
		hello(t, a)
		r, banner := smtptest.Dial(t, a)
		if !strings.HasPrefix(banner, "421 4.3.2") || !r.Closed(closeWait) {
			t.Errorf("third connection from one source: %q", banner)
		}
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", a)
		if err != nil {
			t.Skipf("cannot dial from 127.0.0.2: %v", err)
		}
		c.Close()
		other := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		nc, err := other.Dial("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		n, _ := nc.Read(buf)
		if !strings.HasPrefix(string(buf[:n]), "220 ") {
			t.Errorf("another source was refused: %q", buf[:n])
		}
	})
}

// servedEventually retries a client until the server has noticed a closed
// connection (the slot is released asynchronously), with a deadline.
func servedEventually(t *testing.T, a string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, banner := smtptest.Dial(t, a)
		if strings.HasPrefix(banner, "220 ") {
			transact(t, r) // on this connection: its slot is the freed one
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot freed: %q", banner)
		}
		r.Close()
	}
}

// Recipients over MaxRecipientsPerMessage get 452 4.5.3 and the client
// sends them in another transaction (RFC 5321 §4.5.3.1.10): the 452s are
// neither protocol errors nor tarpitted, so a pipelining client's DATA is
// answered and the message goes to the recipients accepted.
func TestRecipientLimitKeepsTheTransaction(t *testing.T) {
	const limit, sent = 200, 210
	// A tarpit of 10 minutes: a tarpitted 452 would never come in time.
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
		c.MaxRecipientsPerMessage = limit
		c.TarpitInterval = 10 * time.Minute
	})
	tr, rec := startTransport(t, transport.WithReceiveConnector(rc))
	r := hello(t, addr(t, tr, rc.Name()))
	var group strings.Builder
	group.WriteString("MAIL FROM:<a@fabrikam.com>\r\n")
	for i := range sent {
		fmt.Fprintf(&group, "RCPT TO:<u%d@contoso.com>\r\n", i)
	}
	group.WriteString("DATA\r\n")
	if _, err := r.Write([]byte(group.String())); err != nil {
		t.Fatal(err)
	}
	if got := r.ReadReply(); !strings.HasPrefix(got, "250") {
		t.Fatalf("MAIL: %q", got)
	}
	for i := range sent {
		want := "250 2.1.5"
		if i >= limit {
			want = "452 4.5.3 Too many recipients"
		}
		if got := r.ReadReply(); !strings.HasPrefix(got, want) {
			t.Fatalf("RCPT %d: %q, want %q", i, got, want)
		}
	}
	if got := r.ReadReply(); !strings.HasPrefix(got, "354") {
		t.Fatalf("DATA: %q", got)
	}
	if err := r.WriteBody(message("Subject: many")); err != nil {
		t.Fatal(err)
	}
	if got := r.ReadReply(); !strings.HasPrefix(got, "250 2.6.0") {
		t.Fatalf("end of data: %q", got)
	}
	got := map[string]bool{}
	for len(got) < limit {
		for _, a := range rec.Wait(t).Rcpts {
			got[a] = true
		}
	}
	for i := range limit {
		if a := fmt.Sprintf("u%d@contoso.com", i); !got[a] {
			t.Errorf("%s not delivered", a)
		}
	}
}
