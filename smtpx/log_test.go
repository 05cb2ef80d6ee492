package smtpx_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// At the info level the log answers "what happened to message X?": one
// line when it is queued (queue ID, Message-ID, sender, recipients), one
// per outcome (delivered, with the next hop and the reply), and one per
// refused logon naming the user and the client, never the password.
func TestInfoLogPerMessageAndRefusedLogon(t *testing.T) {
	var buf logBuffer
	delivered := make(chan queue.Event, 16)
	rc := smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
		c.PermissionGroups = perms.ExchangeUsers
		c.AuthMechanism = auth.BasicAuth
	})
	e := start(t, transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithAuthenticator(users())),
		transport.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		transport.WithTrace(func(ev transport.Event) {
			if ev.Queue != nil && ev.Queue.Type == queue.EventDeliver {
				delivered <- *ev.Queue
			}
		}))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r, smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"AUTH PLAIN " + plain("alice", "hunter2-wrong"), "535 5.7.8"},
		smtptest.Step{"AUTH PLAIN " + plain("alice", "secret"), "235"},
		smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Message-ID: <m1@contoso.com>", "Subject: log"), "250 2.6.0"})
	ev := <-delivered
	buf.waitFor(t, `msg="transport: delivered" id=`+string(ev.ID))

	log := buf.String()
	for _, want := range []string{
		`msg="smtpx: logon refused" user=alice mechanism=PLAIN remote=127.0.0.1`,
		`msg="smtpx: queued" id=` + string(ev.ID) + ` message_id=<m1@contoso.com> from=alice@contoso.com rcpts=bob@contoso.com`,
		`msg="transport: delivered" id=` + string(ev.ID) + ` rcpts=bob@contoso.com next_hop=MailboxDelivery::contoso.com reply="250 2.0.0 delivered"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s\n%s", want, log)
		}
	}
	if strings.Contains(log, "hunter2") || strings.Contains(log, "secret") {
		t.Errorf("log holds a password:\n%s", log)
	}
}

// At debug, Event.LogValue carries the queue and delivery details.
func TestEventLogValueDetails(t *testing.T) {
	res := &queue.Result{Code: 451, Enhanced: "4.4.1", Text: "no answer"}
	for _, tc := range []struct {
		name string
		ev   transport.Event
		want []string
	}{{
		name: "queue",
		ev: transport.Event{Event: smtpx.Event{Kind: transport.EventQueue, QueueID: "Q1"}, Queue: &queue.Event{Type: queue.EventDefer, ID: "Q1",
			Queue: "SmartHostConnectorDelivery:Out:[192.0.2.1]", Recipients: []string{"a@x.example", "b@x.example"}, Result: res}},
		want: []string{"op=DEFER", "queue=SmartHostConnectorDelivery:Out:[192.0.2.1]", "rcpts=a@x.example,b@x.example", `result="451 4.4.1 no answer"`},
	}, {
		name: "delivery",
		ev: transport.Event{Event: smtpx.Event{Kind: transport.EventDelivery}, Delivery: &deliver.Event{Kind: deliver.EventDial, Host: "mx.x.example",
			Recipient: "a@x.example", Result: res, Removed: []perms.Removed{{Key: "x-ms-exchange-organization-scl"}}}},
		want: []string{"delivery=" + string(deliver.EventDial), "host=mx.x.example", "rcpt=a@x.example",
			`result="451 4.4.1 no answer"`, "removed=x-ms-exchange-organization-scl"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf logBuffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("e", "event", tc.ev)
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("%s lacks %s", buf.String(), w)
				}
			}
		})
	}
}
