package connector

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/hubedge/hubedge/perms"
)

// rc builds a Custom receive connector with anonymous users, on bindings
// and ranges given as text.
func rc(t testing.TB, name, bindings, ranges string, edits ...func(*ReceiveConfig)) *ReceiveConnector {
	t.Helper()
	cfg := NewReceiveConfig(name, UsageCustom)
	cfg.PermissionGroups = perms.AnonymousUsers
	var err error
	if cfg.Bindings, err = ParseBindings(bindings); err != nil {
		t.Fatal(err)
	}
	if cfg.RemoteIPRanges, err = ParseIPRanges(ranges); err != nil {
		t.Fatal(err)
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	c, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func disabled(c *ReceiveConfig) { c.Enabled = false }

func TestSetSelectSpecExample(t *testing.T) {
	// Nested ranges on one binding: the most specific wins.
	s, err := NewSet(
		rc(t, "all", "0.0.0.0:25", "0.0.0.0-255.255.255.255"),
		rc(t, "lan", "0.0.0.0:25", "192.168.1.0-192.168.1.255"),
		rc(t, "host", "0.0.0.0:25", "192.168.1.75"),
		rc(t, "v6", "[::]:25", "2001:db8::/32"),
		rc(t, "specific", "10.1.1.1:25", "192.168.1.0/25"),
		rc(t, "submission", "0.0.0.0:587", "0.0.0.0/0", func(c *ReceiveConfig) { c.PermissionGroups = perms.ExchangeUsers }),
		rc(t, "off", "0.0.0.0:25", "192.168.1.76", disabled),
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		local, remote, want string
	}{
		{"10.0.0.5:25", "192.168.1.75", "host"},
		{"10.0.0.5:25", "192.168.1.100", "lan"},
		{"10.0.0.5:25", "192.168.1.76", "lan"}, // disabled connector gives way to its parent
		{"10.0.0.5:25", "8.8.8.8", "all"},
		{"10.0.0.5:25", "255.255.255.255", "all"},
		{"10.0.0.5:25", "::ffff:192.168.1.75", "host"},
		{"[::ffff:10.0.0.5]:25", "192.168.1.75", "host"},
		{"10.1.1.1:25", "192.168.1.75", "specific"}, // specific binding beats 0.0.0.0, even a narrower range
		{"10.1.1.1:25", "8.8.8.8", "all"},           // falls back to the wildcard binding
		{"[2001:db8::25]:25", "2001:db8::1", "v6"},
		{"10.0.0.5:25", "2001:db8::1", "v6"}, // [::] serves IPv4 locals too (dual stack)
		{"10.0.0.5:587", "1.2.3.4", "submission"},
		{"[2001:db8::25]:25", "2001:db9::1", ""},
		{"10.0.0.5:26", "1.2.3.4", ""},
	}
	for _, tt := range tests {
		t.Run(tt.local+"<-"+tt.remote, func(t *testing.T) {
			c, err := s.Select(netip.MustParseAddrPort(tt.local), netip.MustParseAddr(tt.remote))
			if tt.want == "" {
				if !errors.Is(err, ErrNoConnector) {
					t.Fatalf("got %v, %v; want ErrNoConnector", c, err)
				}
				return
			}
			if err != nil || c.Name() != tt.want {
				t.Fatalf("got %v, %v; want %s", c, err, tt.want)
			}
		})
	}
	if got := fmt.Sprint(s.Bindings()); got != "[0.0.0.0:25 0.0.0.0:587 10.1.1.1:25 [::]:25]" {
		t.Errorf("Bindings = %s", got)
	}
	var nilSet *Set
	if _, err := nilSet.Select(netip.MustParseAddrPort("1.1.1.1:25"), netip.MustParseAddr("1.1.1.1")); !errors.Is(err, ErrNoConnector) {
		t.Error("nil set")
	}
}

func TestSetConflicts(t *testing.T) {
	tests := []struct {
		name  string
		conns func(t *testing.T) []*ReceiveConnector
		want  error
		param string
	}{
		{"same binding same range", func(t *testing.T) []*ReceiveConnector {
			return []*ReceiveConnector{rc(t, "a", "0.0.0.0:25", "10.0.0.0/8"), rc(t, "b", "0.0.0.0:25", "10.0.0.0-10.255.255.255")}
		}, ErrDuplicateBinding, "RemoteIPRanges"},
		{"partial overlap", func(t *testing.T) []*ReceiveConnector {
			return []*ReceiveConnector{rc(t, "a", "0.0.0.0:25", "10.0.0.0-10.0.0.20"), rc(t, "b", "0.0.0.0:25", "10.0.0.10-10.0.0.30")}
		}, ErrRangeOverlap, "RemoteIPRanges"},
		{"specific and wildcard identical", func(t *testing.T) []*ReceiveConnector {
			return []*ReceiveConnector{rc(t, "a", "0.0.0.0:25", "0.0.0.0/0"), rc(t, "b", "10.1.1.1:25", "0.0.0.0/0")}
		}, ErrDuplicateBinding, "Bindings"},
		{"duplicate names", func(t *testing.T) []*ReceiveConnector {
			return []*ReceiveConnector{rc(t, "a", "0.0.0.0:25", "10.0.0.1"), rc(t, "a", "0.0.0.0:26", "10.0.0.1")}
		}, ErrDuplicateName, "Name"},
		{"disabled duplicates still conflict", func(t *testing.T) []*ReceiveConnector {
			return []*ReceiveConnector{rc(t, "a", "0.0.0.0:25", "10.0.0.1"), rc(t, "b", "0.0.0.0:25", "10.0.0.1", disabled)}
		}, ErrDuplicateBinding, "RemoteIPRanges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSet(tt.conns(t)...)
			var ce *ConfigError
			if !errors.Is(err, tt.want) || !errors.As(err, &ce) || ce.Parameter != tt.param {
				t.Fatalf("err = %v, want %v on %s", err, tt.want, tt.param)
			}
		})
	}
	// Allowed: nested ranges, the same range on different ports or local
	// addresses, and different ranges on a specific and a wildcard binding.
	if _, err := NewSet(
		rc(t, "a", "0.0.0.0:25", "10.0.0.0/8"), rc(t, "b", "0.0.0.0:25", "10.1.0.0/16,10.2.0.0/16"),
		rc(t, "c", "0.0.0.0:2525", "10.0.0.0/8"), rc(t, "d", "10.1.1.1:25", "10.1.0.0/24"),
		rc(t, "e", "10.1.1.2:25", "10.0.0.0/9"),
	); err != nil {
		t.Fatal(err)
	}
}

// TestSetSelectMatchesLinearScan checks the flattened tables against the
// definition (narrowest containing range) on random nested ranges.
func TestSetSelectMatchesLinearScan(t *testing.T) {
	conns := benchConnectors(t, 300)
	s, err := NewSet(conns...)
	if err != nil {
		t.Fatal(err)
	}
	local := netip.MustParseAddrPort("0.0.0.0:25")
	for i := range 5000 {
		remote := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), byte(i * 7)})
		var want *ReceiveConnector
		for _, c := range conns {
			for _, r := range c.Config().RemoteIPRanges {
				if r.Contains(remote) && (want == nil || r.CompareSize(want.Config().RemoteIPRanges[0]) < 0) {
					want = c
				}
			}
		}
		got, _ := s.Select(local, remote)
		if got != want {
			t.Fatalf("%s: got %v, want %v", remote, got, want)
		}
	}
}

// benchConnectors returns n connectors on 0.0.0.0:25 with nested ranges:
// a catch-all, /16s, /24s inside them, and single hosts.
func benchConnectors(t testing.TB, n int) []*ReceiveConnector {
	conns := []*ReceiveConnector{rc(t, "all", "0.0.0.0:25", "0.0.0.0-255.255.255.255")}
	for i := 0; len(conns) < n; i++ {
		var r string
		switch i % 3 {
		case 0:
			r = fmt.Sprintf("10.%d.0.0/16", i/3%256)
		case 1:
			r = fmt.Sprintf("10.%d.%d.0/24", i/3%256, i%256)
		default:
			r = fmt.Sprintf("10.%d.%d.%d", i/3%256, (i-1)%256, i%256)
		}
		if i/3 >= 256 {
			r = fmt.Sprintf("172.%d.%d.%d", i%256, i/256%256, i/65536)
		}
		conns = append(conns, rc(t, fmt.Sprint("c", i), "0.0.0.0:25", r))
	}
	return conns
}

func BenchmarkSelect(b *testing.B) {
	for _, n := range []int{10, 1000} {
		s, err := NewSet(benchConnectors(b, n)...)
		if err != nil {
			b.Fatal(err)
		}
		local := netip.MustParseAddrPort("10.0.0.1:25")
		remotes := []netip.Addr{
			netip.MustParseAddr("10.1.1.2"), netip.MustParseAddr("10.7.3.9"),
			netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("::ffff:10.2.2.3"),
		}
		b.Run(fmt.Sprint(n, "connectors"), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := s.Select(local, remotes[i%len(remotes)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSelectDoesNotAllocate(t *testing.T) {
	s, err := NewSet(benchConnectors(t, 100)...)
	if err != nil {
		t.Fatal(err)
	}
	local, remote := netip.MustParseAddrPort("[::ffff:10.0.0.1]:25"), netip.MustParseAddr("10.1.1.2")
	if n := testing.AllocsPerRun(100, func() { _, _ = s.Select(local, remote) }); n != 0 {
		t.Fatalf("Select allocates %v times", n)
	}
}
