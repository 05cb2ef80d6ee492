package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/connector"
)

// The relay configurations of scripts/ load as the README's commands give
// them, and hub and edge run the same connectors: only the agents and the
// tracking log differ between the variants.
func TestScripts(t *testing.T) {
	load := func(t *testing.T, edge bool, files ...string) *cmdlet.Config {
		t.Helper()
		opts := cmdlet.Options{Edge: edge, Server: "Relay01"}
		cfg, err := cmdlet.DefaultConfig("Relay01", edge)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			path := filepath.Join("scripts", f)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if cfg, err = cmdlet.Load(path, src, cfg, opts); err != nil {
				t.Fatal(err)
			}
		}
		return cfg
	}
	receive := func(t *testing.T, cfg *cmdlet.Config) connector.ReceiveConfig {
		t.Helper()
		send, recv := cfg.ForServer("Relay01")
		if len(recv) != 1 || len(send) != 1 {
			t.Fatalf("%d receive and %d send connectors, want one of each", len(recv), len(send))
		}
		rc := recv[0].Config
		if len(rc.Bindings) != 1 || rc.Bindings[0].String() != "127.0.0.1:2536" {
			t.Errorf("receive connector bound to %v, want 127.0.0.1:2536", rc.Bindings)
		}
		if p := send[0].Config.Port; p != 2537 {
			t.Errorf("send connector port %d, want 2537", p)
		}
		rc.Edge = false // the role's mark, not a setting
		return rc
	}
	hub := load(t, false, "hub.ps1", "relay.ps1")
	tracked := load(t, false, "hub.ps1", "relay.ps1", "tracking.ps1")
	edge := load(t, true, "edge.ps1", "relay.ps1")
	empty := load(t, true, "edge.ps1", "relay.ps1", "agents-off.ps1")
	if got := tracked.TransportServer.MessageTrackingLogPath; got != "tracking" || hub.TransportServer.MessageTrackingLogPath != "" {
		t.Errorf("tracking paths %q (tracking.ps1) and %q (without), want tracking and none", got, hub.TransportServer.MessageTrackingLogPath)
	}
	if !reflect.DeepEqual(receive(t, hub), receive(t, edge)) {
		t.Errorf("hub and edge receive connectors differ:\n%+v\n%+v", receive(t, hub), receive(t, edge))
	}
	if !edge.ContentFilter.Enabled || !edge.SenderID.Enabled {
		t.Error("edge.ps1 alone turned anti-spam agents off")
	}
	noSID := load(t, true, "edge.ps1", "relay.ps1", "senderid-off.ps1")
	noContent := load(t, true, "edge.ps1", "relay.ps1", "contentfilter-off.ps1")
	if noSID.SenderID.Enabled || !noSID.ContentFilter.Enabled || noContent.ContentFilter.Enabled || !noContent.SenderID.Enabled {
		t.Error("senderid-off.ps1 and contentfilter-off.ps1 must each turn off their agent alone")
	}
	for name, on := range map[string]bool{
		"IP Allow list": empty.IPAllowList.Config.Enabled, "IP Block list": empty.IPBlockList.Config.Enabled,
		"content filter": empty.ContentFilter.Enabled, "Sender ID": empty.SenderID.Enabled,
		"sender filter": empty.SenderFilter.Enabled, "recipient filter": empty.RecipientFilter.Enabled,
	} {
		if on {
			t.Errorf("agents-off.ps1 leaves the %s on", name)
		}
	}
}
