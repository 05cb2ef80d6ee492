package deliver_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// peerHarness delivers through a send connector whose smart host is peer.
func peerHarness(t *testing.T, peer *smtptest.Peer) *harness {
	sc := smtptest.SendConnector(t, "Raw", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(peer.SmartHost())}
		c.DNSRoutingEnabled = false
	})
	d := mustNew(t, deliver.WithSendConnectors(sc),
		deliver.WithTimeouts(deliver.Timeouts{Connect: 5 * time.Second, Command: 5 * time.Second, Data: 5 * time.Second}))
	return newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
}

// modes runs f against a peer with PIPELINING, one that also offers
// CHUNKING (the commands are pipelined too, with BDAT for DATA) and one
// with neither.
func modes(t *testing.T, f func(t *testing.T, pipelining bool, opts ...smtptest.PeerOption) *smtptest.Peer) {
	for _, mode := range []struct {
		name string
		opts []smtptest.PeerOption
	}{
		{"pipelining", []smtptest.PeerOption{smtptest.PeerPipelining()}},
		{"chunking", []smtptest.PeerOption{smtptest.PeerPipelining(), smtptest.PeerChunking()}},
		{"lock-step", nil},
	} {
		t.Run(mode.name, func(t *testing.T) {
			peer := f(t, mode.opts != nil, mode.opts...)
			if oos := peer.OutOfStep(); len(oos) > 0 {
				t.Errorf("commands sent before the reply to the one before: %q", oos)
			}
		})
	}
}

func TestPipelinedAndLockStepTransactions(t *testing.T) {
	body := "Subject: dots\r\n\r\n.leading dot\r\nbare LF\n..two\r\n"
	want := "Subject: dots\n\n.leading dot\nbare LF\n..two\n"
	modes(t, func(t *testing.T, pipelining bool, opts ...smtptest.PeerOption) *smtptest.Peer {
		peer := smtptest.NewPeer(t, append(opts, smtptest.PeerRcpt("gone@fabrikam.com", "550 5.1.1 no such user"))...)
		h := peerHarness(t, peer)
		for i := range 2 { // the second message reuses the session
			res, err := h.send(queue.Envelope{Recipients: rcpts("a@fabrikam.com", "gone@fabrikam.com", "b@fabrikam.com")}, body)
			if err != nil || len(res) != 3 {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			queued := "queued as " + string(rune('1'+i))
			if res[0].Code != 250 || res[0].Enhanced != "2.0.0" || res[0].Text != queued ||
				res[1].Code != 550 || res[1].Enhanced != "5.1.1" || res[1].Text != "no such user" || res[2] != res[0] {
				t.Fatalf("results %+v", res)
			}
		}
		if bodies := peer.Bodies(); len(bodies) != 2 || bodies[0] != want {
			t.Fatalf("bodies %q", bodies)
		}
		if n := peer.Connections(); n != 1 {
			t.Errorf("%d connections, want 1 (the session is reused)", n)
		}
		return peer
	})
}

// A 421 to a RCPT ends the transaction whether the commands went out
// together or one by one: every recipient gets it, no body is sent and the
// session is not reused.
func TestRcpt421MidTransaction(t *testing.T) {
	modes(t, func(t *testing.T, pipelining bool, opts ...smtptest.PeerOption) *smtptest.Peer {
		peer := smtptest.NewPeer(t, append(opts, smtptest.PeerRcpt("second@fabrikam.com", "421 4.3.2 shutting down"))...)
		h := peerHarness(t, peer)
		res, err := h.send(queue.Envelope{Recipients: rcpts("first@fabrikam.com", "second@fabrikam.com", "third@fabrikam.com")}, testBody)
		if err != nil || len(res) != 3 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
		for i, r := range res {
			if r.Code != 421 || r.Enhanced != "4.3.2" || r.Text != "shutting down" {
				t.Errorf("rcpt %d: %+v, want 421 4.3.2", i, r)
			}
		}
		if b := peer.Bodies(); len(b) != 0 {
			t.Fatalf("peer got %d bodies", len(b))
		}
		if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
			t.Fatalf("next message: res=%+v err=%v", res, err)
		}
		if n := peer.Connections(); n != 2 {
			t.Errorf("%d connections, want 2 (a closed session is not reused)", n)
		}
		cmds := peer.Commands()
		if lockStep := !pipelining; lockStep && slices.Contains(cmds, "RCPT TO:<third@fabrikam.com>") {
			t.Errorf("lock step sent a RCPT after the 421: %q", cmds)
		}
		return peer
	})
}

// Each recipient gets its own RCPT reply; those accepted get DATA's.
func TestPerRecipientReplies(t *testing.T) {
	modes(t, func(t *testing.T, pipelining bool, opts ...smtptest.PeerOption) *smtptest.Peer {
		peer := smtptest.NewPeer(t, append(opts,
			smtptest.PeerRcpt("full@fabrikam.com", "452 4.2.2 mailbox full"),
			smtptest.PeerRcpt("gone@fabrikam.com", "550 5.1.1 no such user"),
			smtptest.PeerRcpt("fwd@fabrikam.com", "251 2.1.5 will forward"))...)
		h := peerHarness(t, peer)
		res, err := h.send(queue.Envelope{Recipients: rcpts("full@fabrikam.com", "ok@fabrikam.com", "gone@fabrikam.com", "fwd@fabrikam.com")}, testBody)
		if err != nil || len(res) != 4 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
		want := []string{"452 4.2.2 mailbox full", "250 2.0.0 queued as 1", "550 5.1.1 no such user", "250 2.0.0 queued as 1"}
		for i, r := range res {
			if r.String() != want[i] || r.RemoteMTA != "127.0.0.1" {
				t.Errorf("rcpt %d: %v from %q, want %s", i, r, r.RemoteMTA, want[i])
			}
		}
		return peer
	})
}

// A refused MAIL gives its reply to every recipient; when the RCPTs and
// DATA went out behind it, their replies are read and ignored, and the
// session carries the next message.
func TestMailRefused(t *testing.T) {
	modes(t, func(t *testing.T, pipelining bool, opts ...smtptest.PeerOption) *smtptest.Peer {
		peer := smtptest.NewPeer(t, append(opts, smtptest.PeerMail("451 4.3.0 try later"))...)
		h := peerHarness(t, peer)
		for range 2 {
			res, err := h.send(queue.Envelope{Recipients: rcpts("a@fabrikam.com", "b@fabrikam.com")}, testBody)
			if err != nil || len(res) != 2 || res[0].String() != "451 4.3.0 try later" || res[1] != res[0] {
				t.Fatalf("res=%+v err=%v", res, err)
			}
		}
		if n := peer.Connections(); n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
		if rcptSent := slices.Contains(peer.Commands(), "RCPT TO:<a@fabrikam.com>"); rcptSent != pipelining {
			t.Errorf("RCPT sent after a refused MAIL: %v (pipelining %v)", rcptSent, pipelining)
		}
		return peer
	})
}

// The DSN parameters are written as the one xtext codec encodes them, an
// ORCPT of type utf-8 as RFC 6533 says.
func TestDSNParameters(t *testing.T) {
	modes(t, func(t *testing.T, pipelining bool, opts ...smtptest.PeerOption) *smtptest.Peer {
		peer := smtptest.NewPeer(t, opts...)
		h := peerHarness(t, peer)
		env := queue.Envelope{Ret: dsn.RetHdrs, EnvID: "id+1 =x", Recipients: []queue.Recipient{
			{Address: "a@fabrikam.com", Notify: dsn.NotifyFailure | dsn.NotifyDelay, ORCPT: "rfc822;a+b@fabrikam.com"},
			{Address: "b@fabrikam.com", Notify: dsn.NotifyNever, ORCPT: "utf-8;jürgen@fabrikam.com"},
		}}
		if res, err := h.send(env, testBody); err != nil || res[0].Code != 250 || res[1].Code != 250 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
		cmds := strings.Join(peer.Commands(), "\n")
		for _, want := range []string{
			"MAIL FROM:<alice@contoso.com> BODY=8BITMIME SIZE=", " RET=HDRS ENVID=id+2B1+20+3Dx\n",
			"RCPT TO:<a@fabrikam.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a+2Bb@fabrikam.com\n",
			`RCPT TO:<b@fabrikam.com> NOTIFY=NEVER ORCPT=utf-8;j\x{FC}rgen@fabrikam.com` + "\n",
		} {
			if !strings.Contains(cmds, want) {
				t.Errorf("commands lack %q:\n%s", want, cmds)
			}
		}
		return peer
	})
}

// A server that says more than it is asked is out of step: its replies
// would be taken for the answers to later commands, so no transaction is
// started on the session.
func TestServerOutOfStep(t *testing.T) {
	peer := smtptest.NewPeer(t, smtptest.PeerEHLO("250 peer\r\n250 2.1.0 ok"))
	h := peerHarness(t, peer)
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) || he.Attempts[0].Code != 451 || he.Attempts[0].Enhanced != "4.5.0" ||
		!strings.Contains(he.Attempts[0].Err.Error(), "out of step") {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	for _, c := range peer.Commands() {
		if strings.HasPrefix(c, "MAIL") {
			t.Fatalf("a transaction was started: %q", peer.Commands())
		}
	}
}

// Toward a server with CHUNKING a message that fits the chunk goes as one
// "BDAT n LAST" behind the pipelined commands, and a larger one as DATA,
// including one that only outgrows it by the line end added to its last
// line. Either way the server gets the same octets.
func TestChunkedTransfer(t *testing.T) {
	const chunk = 32 << 10 // deliver's maxChunk
	head := "Subject: size\r\n\r\n"
	for _, tc := range []struct {
		name string
		body string
		bdat bool
	}{
		{"small, with a leading dot", head + ".dot\r\nbare LF\nend", true},
		{"fills the chunk", head + strings.Repeat("a", chunk-len(head)-2) + "\r\n", true},
		{"the added line end outgrows it", head + strings.Repeat("a", chunk-len(head)-1), false},
		{"a byte over", head + strings.Repeat("a", chunk-len(head)-1) + "\n", false},
		{"much larger", head + strings.Repeat(".line\r\n", 3*chunk/7), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peer := smtptest.NewPeer(t, smtptest.PeerPipelining(), smtptest.PeerChunking())
			h := peerHarness(t, peer)
			if res, err := h.send(queue.Envelope{}, tc.body); err != nil || res[0].Code != 250 {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			want := strings.ReplaceAll(tc.body, "\r\n", "\n")
			if !strings.HasSuffix(want, "\n") {
				want += "\n"
			}
			if b := peer.Bodies(); len(b) != 1 || b[0] != want {
				t.Fatalf("peer got %d bodies; the first differs from the message: %v", len(b), len(b) == 1)
			}
			var bdat, data int
			for _, c := range peer.Commands() {
				switch {
				case strings.HasPrefix(c, "BDAT "):
					bdat++
					if !strings.HasSuffix(c, " LAST") {
						t.Errorf("a chunk not LAST: %q", c)
					}
				case c == "DATA":
					data++
				}
			}
			if tc.bdat && (bdat != 1 || data != 0) || !tc.bdat && (bdat != 0 || data != 1) {
				t.Errorf("%d BDAT, %d DATA: %q", bdat, data, peer.Commands())
			}
		})
	}
}

// When no recipient is taken, the server refuses the chunk it was already
// sent; the transaction MAIL opened is reset and the session carries the
// next message.
func TestChunkRefused(t *testing.T) {
	peer := smtptest.NewPeer(t, smtptest.PeerPipelining(), smtptest.PeerChunking(),
		smtptest.PeerRcpt("gone@fabrikam.com", "550 5.1.1 no such user"))
	h := peerHarness(t, peer)
	res, err := h.send(queue.Envelope{Recipients: rcpts("gone@fabrikam.com")}, testBody)
	if err != nil || len(res) != 1 || res[0].String() != "550 5.1.1 no such user" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("next message: res=%+v err=%v", res, err)
	}
	cmds := peer.Commands()
	if !slices.Contains(cmds, "RSET") || peer.Connections() != 1 || len(peer.Bodies()) != 1 {
		t.Errorf("%d connections, %d bodies, commands %q; want RSET and one session", peer.Connections(), len(peer.Bodies()), cmds)
	}
}
