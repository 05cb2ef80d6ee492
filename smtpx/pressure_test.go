package smtpx_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// At Medium pressure (here memory, 74 % of the limit) anonymous senders
// are refused at MAIL while a logged-in user still submits; the change
// of level is logged and traced.
func TestBackPressureMediumSparesAuthenticated(t *testing.T) {
	var buf logBuffer
	probe := func(context.Context) (smtpx.Resources, error) {
		return smtpx.Resources{Memory: 74, MemoryLimit: 100}, nil
	}
	rc := smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
		c.PermissionGroups = perms.AnonymousUsers | perms.ExchangeUsers
		c.AuthMechanism = auth.BasicAuth
	})
	e := start(t, transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithAuthenticator(users())),
		transport.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		transport.WithBackPressure(smtpx.BackPressure{Probe: probe}))
	if p := e.tr.Pressure(); p != smtpx.PressureMedium {
		t.Fatalf("Pressure() = %s, want Medium", p)
	}
	anon, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, anon, smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "452 4.3.1 Insufficient system resources"})
	user, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, user, smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"AUTH PLAIN " + plain("alice", "secret"), "235"},
		smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: under pressure"), "250 2.6.0"})
	e.local.Wait(t)

	if log := buf.String(); !strings.Contains(log, `msg="smtpx: back pressure" level=Medium was=Normal resources="memory Medium (74.0% used)"`) {
		t.Errorf("no info line for the change of level:\n%s", log)
	}
	ev := e.events.Filter(ofKind(smtpx.EventBackPressure))
	if len(ev) != 1 || ev[0].Pressure != smtpx.PressureMedium {
		t.Errorf("BackPressure events %+v", ev)
	}
	if refusals := e.events.Filter(ofKind(smtpx.EventRefuse)); len(refusals) != 1 || refusals[0].Reply.Code != 452 {
		t.Errorf("Refuse events %+v", refusals)
	}
}

// Reconfigure logs what changed, works before Start, and refuses after
// Shutdown.
func TestReconfigureLifecycle(t *testing.T) {
	var buf logBuffer
	old := smtptest.CustomConnector(t, "Old")
	tr, err := transport.New(transport.WithServerName(serverName), transport.WithMemoryQueue(), transport.WithReceiveConnector(old),
		transport.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := transport.Config{ReceiveConnectors: []*connector.ReceiveConnector{smtptest.CustomConnector(t, "New")},
		AcceptedDomains: []routing.AcceptedDomain{{Domain: "contoso.com"}}}
	if err := tr.Reconfigure(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if log := buf.String(); !strings.Contains(log, `msg="smtpx: configuration reloaded" server=hub01.contoso.com added=[receive:New] removed=[receive:Old] changed=[] domains_changed=true`) {
		t.Errorf("reload line:\n%s", log)
	}
	// The same connector built again is not a change.
	mark := len(buf.String())
	cfg.ReceiveConnectors = []*connector.ReceiveConnector{smtptest.CustomConnector(t, "New")}
	if err := tr.Reconfigure(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if log := buf.String()[mark:]; !strings.Contains(log, `added=[] removed=[] changed=[] domains_changed=false`) {
		t.Errorf("reload line of an unchanged configuration:\n%s", log)
	}
	if err := tr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.Addr("New") == nil || tr.Addr("Old") != nil {
		t.Errorf("Start did not listen for the configuration given before it")
	}
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tr.Reconfigure(ctx, cfg); !errors.Is(err, smtpx.ErrServerClosed) {
		t.Errorf("Reconfigure after Shutdown = %v", err)
	}
}
