package main

import (
	"context"
	"errors"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/clitest"
)

// The seed 001 pair as two processes: anonymous Internet mail stays
// anonymous through the organization and keeps the edge's Received field;
// outbound mail keeps the hub's.
func TestEdgeHubMailFlow(t *testing.T) {
	p := clitest.StartPair(t)

	// 1. Internet -> edge -> hub -> mailbox; the forged organization header is gone.
	if err := clitest.SendPython(t, p.EdgeAddr, clitest.Mail{LocalIP: clitest.InternetIP, From: "bob@fabrikam.com",
		To: "alice@contoso.com", Subject: "inbound", Header: "X-MS-Exchange-Organization-SCL: -1\r\n"}); err != nil {
		t.Fatal(err)
	}
	h := clitest.Header(t, clitest.WaitMaildir(t, p.Maildir, "alice@contoso.com"))
	if h.Get("Subject") != "inbound" || h.Get("X-MS-Exchange-Organization-SCL") != "" {
		t.Errorf("delivered header: %v", h)
	}
	if as, src := h.Get("X-MS-Exchange-Organization-AuthAs"), h.Get("X-MS-Exchange-Organization-AuthSource"); as != "Anonymous" || src != "edge01.contoso.net" {
		t.Errorf("AuthAs %q, AuthSource %q; want Anonymous, edge01.contoso.net", as, src)
	}
	if !clitest.ReceivedBy(h, "edge01.contoso.net") || !clitest.ReceivedBy(h, "hub01.contoso.com") {
		t.Errorf("Received fields %q, want the edge's and the hub's", h["Received"])
	}

	// 2. An anonymous Internet client may not relay through the edge.
	var perr *textproto.Error
	err := clitest.Send(p.EdgeAddr, clitest.Mail{LocalIP: clitest.InternetIP, From: "spam@example.org", To: "eve@example.net"})
	if !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.7.1") {
		t.Fatalf("relay attempt: %v, want 550 5.7.1", err)
	}

	// 3. Mailbox user -> hub -> edge -> Internet (MX of fabrikam.com).
	if err := clitest.SendPython(t, p.HubAddr, clitest.Mail{From: "alice@contoso.com", To: "bob@fabrikam.com", Subject: "outbound",
		TLS: true, User: clitest.Alice.Name, Password: clitest.Alice.Password}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := p.Internet.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.To[0] != "bob@fabrikam.com" || m.Header.Get("Subject") != "outbound" || strings.Contains(string(m.Body), "X-MS-Exchange-Organization-") {
		t.Errorf("Internet got %+v\n%s", m, m.Body)
	}
	if h := clitest.Header(t, string(m.Body)); !clitest.ReceivedBy(h, "hub01.contoso.com") || !clitest.ReceivedBy(h, "edge01.contoso.net") {
		t.Errorf("Internet got Received fields %q, want the hub's and the edge's", h["Received"])
	}
}

// A mailbox user writes to a subdomain the hub does not accept: the hub
// sends it to the edge (address space *), whose *.contoso.com connector
// sends it back. The Received fields the two servers keep for each other
// make the hop count end the loop with one NDR, and nothing stays queued.
func TestEdgeHubLoop(t *testing.T) {
	p := clitest.StartPair(t)
	if err := clitest.SendPython(t, p.HubAddr, clitest.Mail{From: "alice@contoso.com", To: "loop@sub.contoso.com", Subject: "round and round",
		TLS: true, User: clitest.Alice.Name, Password: clitest.Alice.Password}); err != nil {
		t.Fatal(err)
	}
	ndr := clitest.Header(t, clitest.WaitMaildir(t, p.Maildir, "alice@contoso.com"))
	if !strings.HasPrefix(ndr.Get("Content-Type"), "multipart/report") {
		t.Errorf("alice got %v, want an NDR", ndr)
	}
	p.Stop()
	if ents, err := os.ReadDir(filepath.Join(p.Maildir, "contoso.com", "alice", "new")); err != nil || len(ents) != 1 {
		t.Errorf("alice has %d messages (%v), want one NDR", len(ents), err)
	}
	for dir, name := range map[string]string{p.EdgeQueue: "edge", p.HubQueue: "hub"} {
		if q := clitest.Queued(t, dir); len(q) != 0 {
			t.Errorf("the %s still queues %d messages: %+v", name, len(q), q)
		}
	}
}
