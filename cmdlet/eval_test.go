package cmdlet

import "testing"

func mustLoad(t *testing.T, base *Config, opts Options, src string) *Config {
	t.Helper()
	c, err := Load("t.ps1", []byte(src), base, opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return c
}

func TestDefaultConfig(t *testing.T) {
	tests := []struct {
		edge  bool
		names []string
	}{
		{false, []string{"Default Hub01", "Client Hub01"}},
		{true, []string{"Default internal Receive connector Hub01"}},
	}
	for _, tt := range tests {
		c, err := DefaultConfig("Hub01", tt.edge)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range c.ReceiveConnectors {
			names = append(names, r.Config.Name)
			if r.Connector.Config().Edge != tt.edge {
				t.Errorf("%s: IsEdge %v", r.Config.Name, r.Connector.Config().Edge)
			}
		}
		if len(names) != len(tt.names) || names[0] != tt.names[0] {
			t.Errorf("edge %v: %q, want %q", tt.edge, names, tt.names)
		}
		if c.TransportServer != DefaultTransportServer(tt.edge) {
			t.Errorf("edge %v: transport server %+v", tt.edge, c.TransportServer)
		}
	}
}
