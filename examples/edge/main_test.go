package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
)

// The seed 001 pair as two processes: anonymous Internet mail stays
// anonymous through the organization and keeps the edge's Received field;
// outbound mail keeps the hub's.
func TestEdgeHubMailFlow(t *testing.T) {
	clitest.StartPair(t).CheckMailFlow(t)
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
