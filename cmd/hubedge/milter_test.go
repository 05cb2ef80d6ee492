package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	gm "github.com/d--j/go-milter"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/milter/miltertest"
	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// A hub run with -milter shows its sessions to the filter, whose verdict
// is enforced: a filter rejecting at MAIL gets the client 550 5.7.1.
func TestRunMilter(t *testing.T) {
	f := miltertest.NewFilter(t, miltertest.Script{Replies: map[string]*gm.Response{"mail": gm.RespReject}})
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	script := clitest.WriteFile(t, "relay.ps1", relayScript(clitest.FreePort(t), sinkPort, true))
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Relay01", "-queue", t.TempDir(), "-selfsigned", "-log", "warn",
		"-milter", f.Addr, script)
	var perr *textproto.Error
	err := clitest.Send(srv.Addr(t, "From Apps"), clitest.Mail{From: "bob@fabrikam.com", To: "alice@contoso.com"})
	if !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.7.1") {
		t.Errorf("send: %v, want 550 5.7.1 from the filter", err)
	}
	if ev := f.Events(); len(ev) < 2 || !strings.HasPrefix(ev[0], "connect ") || !strings.HasPrefix(ev[len(ev)-1], "mail bob@fabrikam.com") {
		t.Errorf("the filter was told %q, want connect ... mail", ev)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages relayed past the filter's rejection", n)
	}
}

func TestMilterFlags(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name    string
		args    []string
		chain   *agent.Chain
		want    []string // agents of the resulting chain; nil: no chain
		wantErr string
	}{
		{"none on a hub", nil, nil, nil, ""},
		{"none on an edge keeps its chain", nil, agent.New(), []string{}, ""},
		{"a hub gets a chain", []string{"-milter", "127.0.0.1:11332"}, nil, []string{"milter 127.0.0.1:11332"}, ""},
		{"unix socket and order", []string{"-milter", "unix:/run/rspamd.sock", "-milter", "127.0.0.1:8891"}, agent.New(),
			[]string{"milter unix:/run/rspamd.sock", "milter 127.0.0.1:8891"}, ""},
		{"twice the same", []string{"-milter", "127.0.0.1:1", "-milter", "127.0.0.1:1"}, nil, nil, "127.0.0.1:1"},
		{"empty unix path", []string{"-milter", "unix:"}, nil, nil, "unix: needs a socket path"},
		{"no port", []string{"-milter", "127.0.0.1"}, nil, nil, "want host:port or unix:PATH"},
		{"port out of range", []string{"-milter", "127.0.0.1:99999"}, nil, nil, "a port from 1 to 65535"},
		{"no host", []string{"-milter", ":11332"}, nil, nil, "with a host"},
		{"not an address", []string{"-milter", "bogus:://"}, nil, nil, "too many colons"},
		{"empty", []string{"-milter", ""}, nil, nil, "want host:port or unix:PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m milterFlags
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			m.register(fs)
			fs.SetOutput(io.Discard)
			err := fs.Parse(tt.args)
			var chain *agent.Chain
			if err == nil {
				chain, err = m.add(log, tt.chain, "relay01.contoso.com")
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("add: %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && chain != nil:
				t.Errorf("chain with %v, want none", chain.Agents())
			case tt.want != nil && (chain == nil || !slices.Equal(append([]string{}, chain.Agents()...), tt.want)):
				t.Errorf("chain %v, want agents %v", chain, tt.want)
			}
		})
	}
}
