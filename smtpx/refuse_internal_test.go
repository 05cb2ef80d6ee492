package smtpx

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// discardQueue is a Queue for sessions whose messages a test does not
// look at.
type discardQueue struct{}

func (discardQueue) NewID() queue.ID { return "0" }

func (discardQueue) EnqueueWithID(_ context.Context, _ queue.ID, _ queue.Envelope, body io.Reader) error {
	_, err := io.Copy(io.Discard, body)
	return err
}

// Refusals are written off the accept loop, but only maxRefusing at a
// time: beyond that a connection is closed without the reply, so a flood
// of slow clients cannot pile up goroutines.
func TestRefusalsAreBounded(t *testing.T) {
	tr, err := NewServer(discardQueue{}, WithServerName("hub01.contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		tr.acceptWG.Wait()
	}()
	for range maxRefusing {
		server, client := net.Pipe() // writes block until read: a slow client
		clients = append(clients, client)
		tr.refuse(server, "", netip.AddrPort{}, replyTooManyConns)
	}
	server, client := net.Pipe()
	clients = append(clients, client)
	tr.refuse(server, "", netip.AddrPort{}, replyTooManyConns)
	if b, err := io.ReadAll(client); err != nil || len(b) != 0 {
		t.Fatalf("refusal over the bound: read %q, %v; want a bare close", b, err)
	}
}

// The one classification of error replies: what the client earns counts,
// what reports this server's trouble or ends the session does not.
func TestRefusalClassification(t *testing.T) {
	for _, tc := range []struct {
		r    *dsn.Reply
		want bool
	}{
		{replyUnableToRelay, true},
		{replyUserUnknown, true},
		{replyTooBig, true},
		{replyAuthFailed, true},
		{replyCommandTooLong, true},
		{replyUnknown, true},
		{replyRoutingLoop, true},
		{replyOK, false},
		{replyStartData, false},
		{replyTooManyRcpts, false},
		{replyShuttingDown, false},
		{replyIdle, false},
		{replyDirectory, false},
		{replyNoResources, false},
		{replyStorageFull, false},
		{replyDataAborted, false},
		{replyAuthTemp, false},
	} {
		if got := refusal(tc.r); got != tc.want {
			t.Errorf("refusal(%d %v %q) = %v, want %v", tc.r.Code, tc.r.Status, tc.r.Text, got, tc.want)
		}
	}
}
