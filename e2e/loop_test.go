package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// loopPair starts two transports that route loop.example to each other
// through send connectors of usage sendUsage, each receiving on an
// Internet connector with rcOpts. hub01 hosts contoso.com (recorded in
// mailboxes); edge01 sends contoso.com to hub01. Each transport's queue
// events go to its channel.
func loopPair(t *testing.T, sendUsage connector.Usage, rcOpts ...func(*connector.ReceiveConfig)) (hub *transport.Transport, edge *transport.Transport, mailboxes *smtptest.Recorder, hubEv, edgeEv chan queue.Event) {
	t.Helper()
	// Each side's address is known before the other is configured.
	lnHub, err := net.Listen("tcp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	lnEdge, err := net.Listen("tcp4", loopback)
	if err != nil {
		lnHub.Close()
		t.Fatal(err)
	}
	listen := func(ln net.Listener) transport.Option {
		return transport.WithServerOptions(smtpx.WithListen(func(string, string) (net.Listener, error) { return ln, nil }))
	}
	send := func(name, spaces string, to net.Listener) *connector.SendConnector {
		return smtptest.SendConnector(t, name, sendUsage, spaces, func(c *connector.SendConfig) {
			c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(to.Addr().String())}
			c.DNSRoutingEnabled, c.SmartHostAuthMechanism = false, auth.SmartHostNone
		})
	}
	events := func(ch chan queue.Event) transport.Option {
		return transport.WithTrace(func(e transport.Event) {
			if e.Queue == nil {
				return
			}
			select { // an endless loop must not block the transport
			case ch <- *e.Queue:
			default:
			}
		})
	}
	relay := routing.AcceptedDomain{Domain: "loop.example", Type: routing.InternalRelay}
	hubEv, edgeEv = make(chan queue.Event, 1024), make(chan queue.Event, 1024)
	mailboxes = smtptest.NewRecorder()
	hub = smtptest.NewTransport(t, transport.WithServerName("hub01.contoso.com"), listen(lnHub),
		transport.WithAcceptedDomain(append(contoso, relay)...), transport.WithLocalDelivery(mailboxes),
		transport.WithReceiveConnector(smtptest.InternetConnector(t, rcOpts...)), transport.WithSendConnector(send("To edge", "loop.example", lnEdge)),
		events(hubEv))
	edge = smtptest.NewTransport(t, transport.WithServerName("edge01.contoso.net"), listen(lnEdge),
		transport.WithAcceptedDomain(relay), transport.WithReceiveConnector(smtptest.InternetConnector(t, rcOpts...)),
		transport.WithSendConnector(send("To hub", "loop.example,contoso.com", lnHub)), events(edgeEv))
	return hub, edge, mailboxes, hubEv, edgeEv
}

// loopNDR sends one message from alice@contoso.com to the looping domain
// and returns the one non-delivery report alice gets, once neither queue
// holds anything.
func loopNDR(t *testing.T, hub, edge *transport.Transport, mailboxes *smtptest.Recorder, hubEv, edgeEv chan queue.Event) smtptest.Delivery {
	t.Helper()
	r, _ := smtptest.Dial(t, addr(t, hub, "From Internet"))
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.contoso.com", "250"}, smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<loop@loop.example>", "250"},
		smtptest.Step{"DATA:" + message("Message-ID: <loop-1@contoso.com>", "From: <alice@contoso.com>", "Subject: round and round"), "250 2.6.0"})
	r.Cmd("QUIT")

	ndr := mailboxes.Wait(t)
	if len(ndr.Rcpts) != 1 || ndr.Rcpts[0] != "alice@contoso.com" || ndr.Env.From != "" {
		t.Fatalf("first local delivery is not an NDR to alice: %s → %v\n%s", ndr.Env.From, ndr.Rcpts, ndr.Body)
	}
	// The queue that bounced the message reports the DSN and its
	// delivery; the hub's local delivery of it ends the story.
	waitQueue(t, hubEv, func(e queue.Event) bool { return e.Type == queue.EventDeliver && e.ID == ndr.ID })
	if ndr.Env.ReceiveConnector != "" { // the NDR came from the edge
		// The queue reports a DSN once it is enqueued, so its delivery,
		// on another goroutine, may be reported first.
		var dsnID queue.ID
		delivered := map[queue.ID]bool{}
		waitQueue(t, edgeEv, func(e queue.Event) bool {
			switch e.Type {
			case queue.EventDSN:
				dsnID = e.ID
			case queue.EventDeliver:
				delivered[e.ID] = true
			}
			return dsnID != "" && delivered[dsnID]
		})
	}
	// A copy whose delivery to the other side was accepted may still be
	// finishing its attempt while the loop has gone round without it:
	// only such an active copy may linger, until its attempt ends.
	for name, side := range map[string]struct {
		tr *transport.Transport
		ev chan queue.Event
	}{"hub": {hub, hubEv}, "edge": {edge, edgeEv}} {
		for _, m := range side.tr.Queue().Messages(queue.Filter{}) {
			if m.Status != queue.MessageActive {
				t.Errorf("%s still queues %+v", name, m)
				continue
			}
			waitQueue(t, side.ev, func(e queue.Event) bool { return e.Type == queue.EventDeliver && e.ID == m.ID })
		}
		if msgs := side.tr.Queue().Messages(queue.Filter{}); len(msgs) != 0 {
			t.Errorf("%s still queues %d messages: %+v", name, len(msgs), msgs)
		}
	}
	if n := mailboxes.Pending(); n != 0 {
		t.Errorf("%d more local deliveries after the NDR", n)
	}
	return ndr
}

// waitQueue reads events until done returns true.
func waitQueue(t *testing.T, ch chan queue.Event, done func(queue.Event) bool) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-ch:
			if done(e) {
				return
			}
		case <-timeout:
			t.Fatal("queue event not seen in 30 s")
		}
	}
}

// Two transports that route a domain to each other, whose send
// connectors strip Received (anonymous peers without Send-Headers-Routing,
// so every hop counts 1): the loop guard, which does not need Received,
// breaks the loop with one NDR (5.4.6) and leaves nothing queued.
func TestRoutingLoopWithoutReceivedEndsInOneNDR(t *testing.T) {
	hub, edge, mailboxes, hubEv, edgeEv := loopPair(t, connector.UsageInternal)
	ndr := loopNDR(t, hub, edge, mailboxes, hubEv, edgeEv)
	if !strings.Contains(ndr.Body, "5.4.6") || !strings.Contains(ndr.Body, "Routing loop detected") {
		t.Errorf("NDR does not report the routing loop:\n%s", ndr.Body)
	}
}

// Where Received fields survive every hop, MaxHopCount breaks the loop
// first, with 5.4.14.
func TestRoutingLoopWithReceivedHitsHopCount(t *testing.T) {
	hub, edge, mailboxes, hubEv, edgeEv := loopPair(t, connector.UsageInternet, func(c *connector.ReceiveConfig) { c.MaxHopCount = 6 })
	ndr := loopNDR(t, hub, edge, mailboxes, hubEv, edgeEv)
	if !strings.Contains(ndr.Body, "5.4.14") || !strings.Contains(ndr.Body, "Hop count exceeded") {
		t.Errorf("NDR does not report the hop count:\n%s", ndr.Body)
	}
}
