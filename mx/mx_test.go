package mx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hostsString renders hosts compactly: "mx1.example.com/10=[192.0.2.1] ...".
func hostsString(hs []mx.Host) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s/%d=%v", h.Name, h.Preference, h.Addrs)
	}
	return strings.Join(parts, " ")
}

func newResolver(t testing.TB, f *mxtest.DNS, opts ...mx.Option) *mx.Resolver {
	t.Helper()
	base := []mx.Option{mx.WithServers(f.Addr()), mx.WithTimeout(2 * time.Second), mx.WithAttempts(1)}
	r, err := mx.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLookupMX(t *testing.T) {
	tests := []struct {
		name    string
		zone    []string
		faults  []mxtest.Record
		noChase bool // the server answers with the CNAME alone
		opts    []mx.Option
		domain  string
		want    string // hostsString of the result
		err     error  // sentinel the error must wrap
		status  string // "code enhanced permanent"
	}{
		{
			name: "preference order",
			zone: []string{
				"example.com. MX 20 b.example.com.", "example.com. MX 10 a.example.com.",
				"example.com. MX 30 c.example.com.",
				"a.example.com. A 192.0.2.1", "b.example.com. A 192.0.2.2",
				"b.example.com. AAAA 2001:db8::2", "c.example.com. AAAA 2001:db8::3",
			},
			domain: "example.com",
			want:   "a.example.com/10=[192.0.2.1] b.example.com/20=[192.0.2.2 2001:db8::2] c.example.com/30=[2001:db8::3]",
		},
		{
			name:   "case and trailing dot",
			zone:   []string{"example.com. MX 10 MX.Example.COM.", "mx.example.com. A 192.0.2.1"},
			domain: "EXAMPLE.com.",
			want:   "mx.example.com/10=[192.0.2.1]",
		},
		{
			name:   "implicit MX from A and AAAA",
			zone:   []string{"example.com. A 192.0.2.9", "example.com. AAAA 2001:db8::9"},
			domain: "example.com",
			want:   "example.com/0=[192.0.2.9 2001:db8::9]",
		},
		{
			name:   "implicit MX without IPv6",
			zone:   []string{"example.com. A 192.0.2.9", "example.com. AAAA 2001:db8::9"},
			opts:   []mx.Option{mx.WithIPv6(false)},
			domain: "example.com",
			want:   "example.com/0=[192.0.2.9]",
		},
		{
			name:   "implicit MX without addresses",
			zone:   []string{"example.com. TXT hello"},
			domain: "example.com",
			err:    mx.ErrNoAddress, status: "554 5.4.4 true",
		},
		{
			name:   "null MX",
			zone:   []string{"example.com. MX 0 .", "example.com. A 192.0.2.9"},
			domain: "example.com",
			err:    mx.ErrNullMX, status: "556 5.1.10 true",
		},
		{
			name:   "null target among others is skipped",
			zone:   []string{"example.com. MX 0 .", "example.com. MX 10 mx.example.com.", "mx.example.com. A 192.0.2.1"},
			domain: "example.com",
			want:   "mx.example.com/10=[192.0.2.1]",
		},
		{
			name:   "NXDOMAIN",
			zone:   []string{"other.com. A 192.0.2.1"},
			domain: "nope.example",
			err:    mx.ErrNoSuchDomain, status: "550 5.1.2 true",
		},
		{
			name:   "SERVFAIL",
			zone:   []string{"example.com. MX 10 mx.example.com."},
			faults: []mxtest.Record{mxtest.ServFail("example.com")},
			domain: "example.com",
			err:    mx.ErrServerFailure, status: "451 4.4.3 false",
		},
		{
			name: "CNAME for the domain, chased by the server",
			zone: []string{
				"example.com. CNAME alias.example.net.", "alias.example.net. CNAME mail.example.org.",
				"mail.example.org. MX 10 mx.example.org.", "mx.example.org. A 192.0.2.7",
			},
			domain: "example.com",
			want:   "mx.example.org/10=[192.0.2.7]",
		},
		{
			name: "CNAME for the domain, not chased by the server",
			zone: []string{
				"example.com. CNAME alias.example.net.", "alias.example.net. CNAME mail.example.org.",
				"mail.example.org. MX 10 mx.example.org.", "mx.example.org. A 192.0.2.7",
			},
			noChase: true,
			domain:  "example.com",
			want:    "mx.example.org/10=[192.0.2.7]",
		},
		{
			name:   "CNAME to a missing name",
			zone:   []string{"example.com. CNAME gone.example.net."},
			domain: "example.com",
			err:    mx.ErrNoSuchDomain, status: "550 5.1.2 true",
		},
		{
			name: "CNAME for the MX target",
			zone: []string{
				"example.com. MX 10 mx.example.com.", "mx.example.com. CNAME real.example.net.",
				"real.example.net. A 192.0.2.8",
			},
			noChase: true,
			domain:  "example.com",
			want:    "mx.example.com/10=[192.0.2.8]",
		},
		{
			name: "CNAME chain longer than the limit",
			zone: []string{
				"example.com. CNAME c1.example.com.", "c1.example.com. CNAME c2.example.com.",
				"c2.example.com. CNAME c3.example.com.", "c3.example.com. MX 10 mx.example.com.",
			},
			opts:   []mx.Option{mx.WithCNAMEDepth(2)},
			domain: "example.com",
			err:    mx.ErrCNAMEChain, status: "451 4.4.3 false",
		},
		{
			name:   "CNAME loop",
			zone:   []string{"example.com. CNAME loop.example.net.", "loop.example.net. CNAME example.com."},
			domain: "example.com",
			err:    mx.ErrCNAMEChain, status: "451 4.4.3 false",
		},
		{
			name:    "CNAME loop across replies",
			zone:    []string{"example.com. CNAME loop.example.net.", "loop.example.net. CNAME example.com."},
			noChase: true,
			domain:  "example.com",
			err:     mx.ErrCNAMEChain, status: "451 4.4.3 false",
		},
		{
			name: "our own name is the best MX",
			zone: []string{
				"example.com. MX 10 me.example.com.", "example.com. MX 20 backup.example.com.",
				"me.example.com. A 192.0.2.1", "backup.example.com. A 192.0.2.2",
			},
			opts:   []mx.Option{mx.WithLocalNames("ME.example.com.")},
			domain: "example.com",
			err:    mx.ErrLoop, status: "554 5.4.6 true",
		},
		{
			name: "our own name as backup MX keeps only better ones",
			zone: []string{
				"example.com. MX 10 primary.example.com.", "example.com. MX 20 me.example.com.",
				"example.com. MX 20 peer.example.com.", "example.com. MX 30 other.example.com.",
				"primary.example.com. A 192.0.2.1", "me.example.com. A 192.0.2.2",
				"peer.example.com. A 192.0.2.3", "other.example.com. A 192.0.2.4",
			},
			opts:   []mx.Option{mx.WithLocalNames("me.example.com")},
			domain: "example.com",
			want:   "primary.example.com/10=[192.0.2.1]",
		},
		{
			name:   "implicit MX is ourselves",
			zone:   []string{"me.example.com. A 192.0.2.1"},
			opts:   []mx.Option{mx.WithLocalNames("me.example.com")},
			domain: "me.example.com",
			err:    mx.ErrLoop, status: "554 5.4.6 true",
		},
		{
			name:   "MX target written as an IP address",
			zone:   []string{"example.com. MX 10 192.0.2.5."},
			domain: "example.com",
			want:   "192.0.2.5/10=[192.0.2.5]",
		},
		{
			name: "MX target without address is skipped",
			zone: []string{
				"example.com. MX 10 gone.example.com.", "example.com. MX 20 ok.example.com.",
				"ok.example.com. A 192.0.2.6",
			},
			domain: "example.com",
			want:   "ok.example.com/20=[192.0.2.6]",
		},
		{
			name:   "no MX target has an address",
			zone:   []string{"example.com. MX 10 gone.example.com.", "example.com. MX 20 empty.example.com.", "empty.example.com. TXT x"},
			domain: "example.com",
			err:    mx.ErrNoAddress, status: "554 5.4.4 true",
		},
		{
			name: "MX target SERVFAIL while the other is gone is temporary",
			zone: []string{
				"example.com. MX 10 gone.example.com.", "example.com. MX 20 broken.example.com.",
				"broken.example.com. A 192.0.2.1",
			},
			faults: []mxtest.Record{mxtest.ServFail("broken.example.com")},
			domain: "example.com",
			err:    mx.ErrServerFailure, status: "451 4.4.3 false",
		},
		{
			name: "duplicate targets keep the best preference",
			zone: []string{
				"example.com. MX 30 mx.example.com.", "example.com. MX 10 mx.example.com.",
				"mx.example.com. A 192.0.2.1",
			},
			domain: "example.com",
			want:   "mx.example.com/10=[192.0.2.1]",
		},
		{
			name:   "IDN domain is queried as A-labels",
			zone:   []string{"xn--bcher-kva.example. MX 10 mx.xn--bcher-kva.example.", "mx.xn--bcher-kva.example. A 192.0.2.4"},
			domain: "Bücher.example",
			want:   "mx.xn--bcher-kva.example/10=[192.0.2.4]",
		},
		{
			name:   "address literal",
			domain: "[IPv6:2001:db8::25]",
			want:   "[IPv6:2001:db8::25]/0=[2001:db8::25]",
		},
		{
			name:   "invalid domain",
			domain: "a..example",
			err:    mx.ErrInvalidName, status: "550 5.1.2 true",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mxtest.NewDNS(t, append(mxtest.Zone(tc.zone...), tc.faults...)...)
			if tc.noChase {
				f.StopAtCNAME()
			}
			r := newResolver(t, f, tc.opts...)
			hosts, err := r.LookupMX(context.Background(), tc.domain)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("LookupMX(%q) = %s, %v; want error %v", tc.domain, hostsString(hosts), err, tc.err)
				}
				r, perm := mx.Reply(err)
				if got := fmt.Sprintf("%d %s %v", r.Code, r.Enhanced(), perm); got != tc.status {
					t.Errorf("Reply(%v) = %s, want %s", err, got, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("LookupMX(%q): %v", tc.domain, err)
			}
			if got := hostsString(hosts); got != tc.want {
				t.Errorf("LookupMX(%q)\n got %s\nwant %s", tc.domain, got, tc.want)
			}
		})
	}
}

// equalPrefZone has three exchangers at preference 10 and one at 20.
var equalPrefZone = []string{
	"example.com. MX 10 a.example.com.", "example.com. MX 10 b.example.com.",
	"example.com. MX 10 c.example.com.", "example.com. MX 20 z.example.com.",
	"a.example.com. A 192.0.2.1", "b.example.com. A 192.0.2.2",
	"c.example.com. A 192.0.2.3", "z.example.com. A 192.0.2.26",
}

func order(hs []mx.Host) string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = strings.TrimSuffix(h.Name, ".example.com")
	}
	return strings.Join(names, "")
}

func TestShuffleDeterministicWithSeed(t *testing.T) {
	f := mxtest.NewDNS(t, mxtest.Zone(equalPrefZone...)...)
	run := func() []string {
		r := newResolver(t, f, mx.WithRand(rand.New(rand.NewPCG(7, 11))))
		var out []string
		for range 5 {
			hs, err := r.LookupMX(context.Background(), "example.com")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, order(hs))
		}
		return out
	}
	first, second := run(), run()
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.Fatalf("same seed gave %v then %v", first, second)
	}
}

func TestShuffleCoversAllPermutations(t *testing.T) {
	f := mxtest.NewDNS(t, mxtest.Zone(equalPrefZone...)...)
	r := newResolver(t, f, mx.WithRand(rand.New(rand.NewPCG(1, 2))))
	seen := map[string]int{}
	for range 120 {
		hs, err := r.LookupMX(context.Background(), "example.com")
		if err != nil {
			t.Fatal(err)
		}
		o := order(hs)
		if !strings.HasSuffix(o, "z") {
			t.Fatalf("preference 20 host not last: %s", o)
		}
		seen[o]++
	}
	for _, p := range []string{"abcz", "acbz", "bacz", "bcaz", "cabz", "cbaz"} {
		if seen[p] == 0 {
			t.Errorf("permutation %s never seen in 120 runs: %v", p, seen)
		}
	}
}

func TestConcurrentLookups(t *testing.T) {
	f := mxtest.NewDNS(t, mxtest.Zone(equalPrefZone...)...)
	r := newResolver(t, f, mx.WithRand(rand.New(rand.NewPCG(3, 4))))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := r.LookupMX(context.Background(), "example.com")
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkLookupMX(b *testing.B) {
	f := mxtest.NewDNS(b, mxtest.Zone(equalPrefZone...)...)
	for _, p := range []mx.Protocol{mx.ProtocolUDP, mx.ProtocolTCP} {
		b.Run(p.String(), func(b *testing.B) {
			r := newResolver(b, f, mx.WithProtocol(p))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.LookupMX(context.Background(), "example.com"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
