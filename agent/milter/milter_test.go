package milter_test

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/milter"
	"github.com/hubedge/hubedge/agent/milter/miltertest"
	"github.com/hubedge/hubedge/mx/mxtest"
)

const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// deliver plays one message through the chain and returns the answers to
// RCPT and end of data, and the message as the chain left it.
func deliver(t *testing.T, chain *agent.Chain, body string) (rcpt, eod *agent.Reply, m *agent.Message) {
	t.Helper()
	ctx := t.Context()
	k := chain.Open(agent.Session{
		ID: "HUB01", Connector: "Default internet",
		Remote: netip.MustParseAddrPort("192.0.2.10:40000"), Local: netip.MustParseAddrPort("127.0.0.1:25"),
	})
	defer k.Disconnect(ctx)
	for _, step := range []func() *agent.Reply{
		func() *agent.Reply { return k.Connect(ctx) },
		func() *agent.Reply { return k.Ehlo(ctx, "mx.fabrikam.com") },
		func() *agent.Reply { return k.Mail(ctx, "sender@fabrikam.com", nil) },
	} {
		if r := step(); r != nil {
			t.Fatalf("answered %v before RCPT", r)
		}
	}
	if rcpt = k.Rcpt(ctx, "bob@contoso.com", nil); rcpt != nil {
		return rcpt, nil, nil
	}
	if r := k.Data(ctx); r != nil {
		t.Fatalf("DATA answered %v", r)
	}
	m = agent.NewMessage([]agent.Field{
		{Name: "From", Value: " sender@fabrikam.com"},
		{Name: "To", Value: " bob@contoso.com"},
		{Name: "Subject", Value: " test"},
		{Name: "Message-ID", Value: " <1@fabrikam.com>"},
		{Name: "Date", Value: " Sun, 06 Dec 2026 21:00:00 +0000"},
	}, "bob@contoso.com")
	m.Body, m.BodySize = strings.NewReader(body), int64(len(body))
	return nil, k.EndOfData(ctx, m), m
}

func TestRspamd(t *testing.T) {
	dns := mxtest.NewDNS(t)
	r := miltertest.StartRspamd(t, dns.Addr())
	newChain := func(scoreOnly bool) *agent.Chain {
		m, err := milter.New(milter.Config{Name: "rspamd", Network: "tcp", Address: r.Addr,
			Timeout: miltertest.StartupTimeout, Hostname: "edge.contoso.com", ScoreOnly: scoreOnly, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		chain := agent.New(agent.WithLogger(quiet()))
		if err := milter.Register(chain, m, agent.Priority(0)); err != nil {
			t.Fatal(err)
		}
		cfg := contentfilter.DefaultConfig()
		cfg.SCLQuarantineEnabled, cfg.SCLQuarantineThreshold, cfg.QuarantineMailbox = true, 9, "quarantine@contoso.com"
		cfg.SCLRejectEnabled = false
		f, err := contentfilter.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := chain.Register(contentfilter.Name, f); err != nil {
			t.Fatal(err)
		}
		return chain
	}
	t.Run("GTUBE enforced by the milter", func(t *testing.T) {
		_, eod, _ := deliver(t, newChain(false), "Hello\r\n"+gtube+"\r\n")
		if eod == nil || eod.Code/100 != 5 {
			t.Fatalf("end of data: %v, want rspamd's 5xx", eod)
		}
		t.Logf("rspamd answered %s", eod)
	})
	t.Run("GTUBE scored, quarantined at SCL 9", func(t *testing.T) {
		_, eod, m := deliver(t, newChain(true), "Hello\r\n"+gtube+"\r\n")
		if eod != nil {
			t.Fatalf("end of data: %v", eod)
		}
		if m.SCL != 9 || m.Quarantine != "quarantine@contoso.com" {
			t.Fatalf("SCL %d, quarantine %q; want 9 and the quarantine mailbox", m.SCL, m.Quarantine)
		}
		if v, _ := agent.HeaderValue(m.Header, agent.SCLHeader); v != "9" {
			t.Errorf("%s: %q", agent.SCLHeader, v)
		}
	})
	t.Run("ham gets rspamd's headers and a low SCL", func(t *testing.T) {
		_, eod, m := deliver(t, newChain(true), "Hello Bob,\r\n\r\nlunch at noon?\r\n\r\nAlice\r\n")
		if eod != nil {
			t.Fatalf("end of data: %v", eod)
		}
		res, ok := agent.HeaderValue(m.Header, "X-Spamd-Result")
		if !ok || m.SCL < 0 || m.SCL >= 7 || m.Quarantine != "" {
			t.Fatalf("X-Spamd-Result %q (%v), SCL %d, quarantine %q", res, ok, m.SCL, m.Quarantine)
		}
		t.Logf("X-Spamd-Result: %s → SCL %d", strings.SplitN(res, "\n", 2)[0], m.SCL)
	})
}

// unanswering accepts milter connections and never answers.
func unanswering(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

// refused returns an address nothing listens on.
func refused(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestFilterFailures(t *testing.T) {
	tests := []struct {
		name     string
		addr     func(*testing.T) string
		failOpen bool
		want     string // reply at connect
	}{
		{"refused fails closed", refused, false, "451 4.7.0 Temporary server error. Please try again later"},
		{"refused fails open", refused, true, ""},
		{"silent filter times out closed", unanswering, false, "451 4.7.0 Temporary server error. Please try again later"},
		{"silent filter times out open", unanswering, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := milter.New(milter.Config{Network: "tcp", Address: tt.addr(t), Timeout: 50 * time.Millisecond, FailOpen: tt.failOpen, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			chain := agent.New(agent.WithLogger(quiet()))
			if err := milter.Register(chain, m); err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			k := chain.Open(agent.Session{Remote: netip.MustParseAddrPort("192.0.2.1:1")})
			got := ""
			if r := k.Connect(ctx); r != nil {
				got = r.String()
			}
			if got != tt.want {
				t.Fatalf("connect: %q, want %q", got, tt.want)
			}
			// Later events neither hang nor change the answer.
			got = ""
			if r := k.Mail(ctx, "s@fabrikam.com", nil); r != nil {
				got = r.String()
			}
			if got != tt.want {
				t.Errorf("MAIL after failure: %q, want %q", got, tt.want)
			}
			k.Disconnect(ctx)
		})
	}
}

func TestNewNeedsAddress(t *testing.T) {
	if _, err := milter.New(milter.Config{}); err == nil {
		t.Fatal("New without address succeeded")
	}
}
