package manage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
)

func TestClientRun(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue(t, "alice@contoso.com", "bob@down.example", queue.EventDefer)
	c, err := manage.NewClient(f.srv.URL, testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		args []string
		want string // exact output
		err  string
	}{
		{args: []string{"Get-Queue", "-Status", "Retry"}, want: "" +
			"Identity DeliveryType         Status MessageCount NextHopDomain\n" +
			"-------- ------------         ------ ------------ -------------\n" +
			`HubA\1   DnsConnectorDelivery Retry  1            down.example` + "\n"},
		{args: []string{"get-message", `HubA\1\` + string(id)}, want: "" +
			fmt.Sprintf("%-33s FromAddress       Status Queue\n", "Identity") +
			fmt.Sprintf("%-33s -----------       ------ -----\n", "--------") +
			`HubA\1\` + string(id) + ` alice@contoso.com Retry  HubA\1` + "\n"},
		{args: []string{"Get-Queue", "-Status", "Suspended"}, want: ""},
		{args: []string{"Suspend-Message", "-Identity", string(id)}, want: ""},
		{args: []string{"Export-Message", string(id)}, want: "Subject: test\r\n\r\nhello\r\n"},
		{args: []string{"Remove-Message", "-Identity", string(id), "-WithNDR", "$false"}, want: ""},
		{args: []string{"Retry-Queue", "-Identity", `HubA\9`}, err: `no queue HubA\9`},
		{args: []string{"Retry-Queue", "-Identity", `HubA\Unreachable`, "-Resubmit"}, want: ""},
		{args: []string{"Get-Queue", "-Status"}, err: "-Status needs a value"},
		{args: []string{"Get-Queue", "-Status", "Bogus"}, err: `-Status "Bogus": not Active, Ready, Retry or Suspended`},
		{args: []string{"Format-Disk"}, err: `unknown cmdlet "Format-Disk" (one of Get-Queue,`},
		// An unknown parameter or cmdlet names the one it was closest to.
		{args: []string{"Get-Queue", "-Statu", "Retry"}, err: `-Statu "Retry": unknown parameter (closest: -Status)`},
		{args: []string{"Get-MessageTrackingLog", "-Recipient", "bob@fabrikam.com"}, err: `(closest: -Recipients)`},
		{args: []string{"Get-Queue", "-Colour", "blue"}, err: `-Colour "blue": unknown parameter`},
		{args: []string{"Get-Queu"}, err: `unknown cmdlet "Get-Queu" (closest: Get-Queue)`},
		{args: nil, err: "no cmdlet"},
		// Help asks nothing of the server.
		{args: []string{"Remove-Message", "-h"}, want: "Remove-Message [-Identity <value>] [-WithNDR] [-json]\n"},
		{args: []string{"get-message", "--help"}, want: "Get-Message [-Identity <value>] [-Queue <value>] [-Status <value>] [-Sender <value>] [-ResultSize <value>] [-json]\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := c.Run(ctx, &out, tt.args)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v", tt.args, err)
		case tt.err == "" && out.String() != tt.want:
			t.Errorf("%q printed\n%s\nwant\n%s", tt.args, out.String(), tt.want)
		}
	}

	var out bytes.Buffer
	if err := c.Run(ctx, &out, []string{"Get-Queue", "-json"}); err != nil {
		t.Fatal(err)
	}
	var qs []manage.QueueView
	if err := json.Unmarshal(out.Bytes(), &qs); err != nil || len(qs) == 0 {
		t.Errorf("-json: %v %s", err, out.String())
	}

	var apiErr *manage.APIError
	if _, err := c.GetQueue(ctx, map[string][]string{"Identity": {`HubA\9`}}); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("GetQueue HubA\\9: %v", err)
	}
	bad, _ := manage.NewClient(f.srv.URL, "not-the-token-at-all", nil)
	if err := bad.Run(ctx, &out, []string{"Get-Queue"}); !errors.Is(err, manage.ErrUnauthorized) || err.Error() != "manage: API refused the token" {
		t.Errorf("wrong token: %v", err)
	}
}

func TestClientUnixSocket(t *testing.T) {
	f := newFixture(t)
	sock := filepath.Join(t.TempDir(), "manage.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c, err := manage.NewClient("unix:"+sock, testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := c.GetQueue(context.Background(), nil)
	if err != nil || len(qs) != 1 || qs[0].Identity != `HubA\Submission` {
		t.Errorf("Get-Queue over the socket: %+v, %v", qs, err)
	}
}

func TestNewClientAddress(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:8025", "ftp://x", "unix:", "http://"} {
		if _, err := manage.NewClient(addr, "t", nil); err == nil {
			t.Errorf("NewClient(%q) accepted", addr)
		}
	}
}

// The command line passes a negative number on as a value, so that the API
// says it is invalid rather than missing, and a bad -EventId fails with the
// valid ones instead of printing nothing.
func TestClientRunBadValues(t *testing.T) {
	f := newFixture(t, manage.WithTracking(trackingLog(t)))
	c, err := manage.NewClient(f.srv.URL, testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		err  string // "" for success
	}{
		{[]string{"Get-Message", "-ResultSize", "-5"}, `-ResultSize "-5": invalid: must be a positive integer up to 250000, or Unlimited`},
		{[]string{"Get-Message", "-ResultSize", "-0.5"}, `-ResultSize "-0.5": invalid`},
		{[]string{"Get-Message", "-ResultSize:-5"}, `-ResultSize "-5": invalid`},
		{[]string{"Get-Message", "-ResultSize"}, "manage: -ResultSize needs a value"},
		{[]string{"Get-Message", "-ResultSize", "-Status", "Retry"}, "manage: -ResultSize needs a value"},
		{[]string{"Get-Message", "-ResultSize", "Unlimited"}, ""},
		{[]string{"Get-MessageTrackingLog", "-EventId", "NOPE"}, `-EventId "NOPE": not an event ID (one of RECEIVE, SEND, DELIVER, DEFER, FAIL, DSN, POISONMESSAGE, RESUBMIT, REDIRECT, EXPAND, RESOLVE, TRANSFER, BADMAIL)`},
		{[]string{"Get-MessageTrackingLog", "-EventId", "deliver"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := c.Run(context.Background(), &out, tt.args)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			var apiErr *manage.APIError
			if strings.HasPrefix(tt.err, "-") && (!errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest) {
				t.Errorf("error %v, want an *APIError with 400", err)
			}
		})
	}
}
