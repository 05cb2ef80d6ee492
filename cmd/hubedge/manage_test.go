package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/internal/cli"
)

// TestAcceptedDomainViews: the management views name an accepted domain as
// New-AcceptedDomain -Name did, and give its domain as DomainName.
func TestAcceptedDomainViews(t *testing.T) {
	src := "New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative\n"
	cfg, err := cmdlet.Load("domains.ps1", []byte(src), cmdlet.NewConfig(false), cmdlet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := views(cfg, "Hub01")
	if len(v.AcceptedDomains) != 1 {
		t.Fatalf("accepted domains %+v", v.AcceptedDomains)
	}
	if d := v.AcceptedDomains[0]; d.Name != "Contoso" || d.Domain != "contoso.com" {
		t.Errorf("accepted domain %+v; want Name Contoso, domain contoso.com", d)
	}
}

// TestSubjectLoggingSetting: Set-TransportServer
// -MessageTrackingLogSubjectLoggingEnabled decides whether the server's
// tracking log writes subjects; they are written by default.
func TestSubjectLoggingSetting(t *testing.T) {
	for _, tt := range []struct {
		param string
		want  bool
	}{{"", true}, {" -MessageTrackingLogSubjectLoggingEnabled $false", false}, {" -MessageTrackingLogSubjectLoggingEnabled $true", true}} {
		src := "Set-TransportServer Hub01 -MessageTrackingLogPath '" + t.TempDir() + "'" + tt.param + "\n"
		cfg, err := cmdlet.Load("ts.ps1", []byte(src), cmdlet.NewConfig(false), cmdlet.Options{Server: "Hub01"})
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.DiscardHandler)
		b, err := serverOptions(log, &cli.Common{FQDN: "hub01.contoso.com"}, cfg, "Hub01")
		if err != nil {
			t.Fatal(err)
		}
		if got := b.track.SubjectLogging(); got != tt.want {
			t.Errorf("%q: subject logging %v, want %v", tt.param, got, tt.want)
		}
		b.close(log)
	}
}

// A cmdlet's help needs no server: hubedge Get-Queue -h prints its
// parameters without -manage.
func TestCmdletHelp(t *testing.T) {
	t.Setenv("HUBEDGE_MANAGE", "")
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"Get-Queue", "-h"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if want := "Get-Queue [-Identity <value>] [-Status <value>] [-NextHopDomain <value>] [-DeliveryType <value>] [-Exclude <value>] [-Filter <value>] [-json]\n"; stdout.String() != want {
		t.Errorf("printed %q, want %q", &stdout, want)
	}
}
