package mx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/miekg/dns"
)

var simpleZone = []string{"example.com. MX 10 mx.example.com.", "mx.example.com. A 192.0.2.1"}

func TestTimeoutIsTemporary(t *testing.T) {
	b := mxtest.NewDNS(t, mxtest.Timeout("example.com"))
	r, err := mx.New(mx.WithServers(b.Addr()), mx.WithTimeout(50*time.Millisecond), mx.WithAttempts(2))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = r.LookupMX(context.Background(), "example.com")
	var te *mx.TemporaryError
	if !errors.As(err, &te) || !te.Temporary() || te.Server != b.Addr() || te.Type != "MX" {
		t.Fatalf("err = %#v, want *TemporaryError for MX at %s", err, b.Addr())
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if r, perm := mx.Reply(err); r.Code != 451 || r.Enhanced() != "4.4.3" || perm {
		t.Errorf("Reply = %d %s %v", r.Code, r.Enhanced(), perm)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("two 50ms attempts took %v", d)
	}
}

func TestFailoverToNextServer(t *testing.T) {
	b := mxtest.NewDNS(t, mxtest.Timeout("example.com"), mxtest.Timeout("mx.example.com")) // answers nothing
	f := mxtest.NewDNS(t, append(mxtest.Zone(simpleZone...), mxtest.ServFail("nothing.example"))...)
	r, err := mx.New(mx.WithServers(b.Addr(), f.Addr()), mx.WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := r.LookupMX(context.Background(), "example.com")
	if err != nil || hostsString(hs) != "mx.example.com/10=[192.0.2.1]" {
		t.Fatalf("LookupMX = %s, %v", hostsString(hs), err)
	}
	// SERVFAIL from every server, every attempt: temporary, naming the last.
	r2, err := mx.New(mx.WithServers(f.Addr(), f.Addr()), mx.WithAttempts(2))
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.Queries())
	_, err = r2.LookupMX(context.Background(), "nothing.example")
	if !errors.Is(err, mx.ErrServerFailure) {
		t.Fatalf("err = %v, want ErrServerFailure", err)
	}
	if n := len(f.Queries()) - before; n != 4 {
		t.Errorf("%d queries for 2 servers x 2 attempts, want 4", n)
	}
}

func TestTruncatedUDPRetriesOverTCP(t *testing.T) {
	f := mxtest.NewDNS(t, append(mxtest.Zone(simpleZone...), mxtest.Truncate("example.com"))...)
	r := newResolver(t, f)
	hs, err := r.LookupMX(context.Background(), "example.com")
	if err != nil || hostsString(hs) != "mx.example.com/10=[192.0.2.1]" {
		t.Fatalf("LookupMX = %s, %v", hostsString(hs), err)
	}
	q := f.Queries()
	if !slices.Contains(q, mxtest.Query{Name: "example.com.", Type: dns.TypeMX, Net: "udp"}) ||
		!slices.Contains(q, mxtest.Query{Name: "example.com.", Type: dns.TypeMX, Net: "tcp"}) {
		t.Errorf("queries %v, want MX over udp then tcp", q)
	}
}

func TestProtocols(t *testing.T) {
	for _, tc := range []struct {
		p    mx.Protocol
		want string
	}{{mx.ProtocolTCP, "tcp"}, {mx.ProtocolUDP, "udp"}, {mx.ProtocolAny, "udp"}} {
		t.Run(tc.p.String(), func(t *testing.T) {
			f := mxtest.NewDNS(t, mxtest.Zone(simpleZone...)...)
			r := newResolver(t, f, mx.WithProtocol(tc.p))
			if _, err := r.LookupMX(context.Background(), "example.com"); err != nil {
				t.Fatal(err)
			}
			for _, q := range f.Queries() {
				if q.Net != tc.want {
					t.Errorf("query %v over %s, want only %s", q, q.Net, tc.want)
				}
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
	b := mxtest.NewDNS(t, mxtest.Timeout("example.com"))
	r, err := mx.New(mx.WithServers(b.Addr()), mx.WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("while waiting for a reply", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			b.WaitQueries(ctx, 1) //nolint:errcheck // either way the lookup is to end
			cancel()
		}()
		start := time.Now()
		_, err := r.LookupMX(ctx, "example.com")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if rep, perm := mx.Reply(err); rep.Code != 451 || perm {
			t.Errorf("cancellation must be transient, got %d permanent=%v", rep.Code, perm)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("cancel took %v; the one-minute query timeout was not cut short", d)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.LookupHost(ctx, "mx.example.com"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestLookupHost(t *testing.T) {
	f := mxtest.NewDNS(t, append(mxtest.Zone(
		"smart.example.com. CNAME relay.example.net.", "relay.example.net. A 192.0.2.10",
		"relay.example.net. A 192.0.2.10", "relay.example.net. AAAA 2001:db8::10",
		"v6only.example.com. AAAA 2001:db8::11", "text.example.com. TXT x",
	), mxtest.ServFail("broken.example.com"))...)
	r := newResolver(t, f)
	for _, tc := range []struct {
		name string
		want string // the addresses
		err  error  // or the sentinel the error wraps
	}{
		{name: "smart.example.com", want: "[192.0.2.10 2001:db8::10]"},
		{name: "v6only.example.com.", want: "[2001:db8::11]"},
		{name: "192.0.2.55", want: "[192.0.2.55]"},
		{name: "::ffff:192.0.2.56", want: "[192.0.2.56]"},
		{name: "[192.0.2.57]", want: "[192.0.2.57]"},
		{name: "gone.example.com", err: mx.ErrNoSuchDomain},
		{name: "text.example.com", err: mx.ErrNoAddress},
		{name: "broken.example.com", err: mx.ErrServerFailure},
		{name: "bad name.example", err: mx.ErrInvalidName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs, err := r.LookupHost(context.Background(), tc.name)
			if tc.err != nil || err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("LookupHost(%q) = %v, %v; want error %v", tc.name, addrs, err, tc.err)
				}
				return
			}
			var sb strings.Builder
			sb.WriteString("[")
			for i, a := range addrs {
				if i > 0 {
					sb.WriteString(" ")
				}
				sb.WriteString(a.String())
			}
			sb.WriteString("]")
			if sb.String() != tc.want {
				t.Errorf("LookupHost(%q) = %s, want %s", tc.name, sb.String(), tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.conf", "# comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2\n")
	empty := write("empty.conf", "search example.com\n")
	bad := write("bad.conf", "nameserver dns.example.com\n")
	for _, tc := range []struct {
		name string
		opts []mx.Option
		want string // Servers() joined, or error substring
	}{
		{"resolv.conf", []mx.Option{mx.WithResolvConf(good)}, "192.0.2.53:53 [2001:db8::53]:53"},
		{"resolv.conf without servers", []mx.Option{mx.WithResolvConf(empty)}, "127.0.0.1:53"},
		{"missing resolv.conf", []mx.Option{mx.WithResolvConf(filepath.Join(dir, "none"))}, "127.0.0.1:53"},
		{"host name in resolv.conf", []mx.Option{mx.WithResolvConf(bad)}, `mx: invalid server "dns.example.com"`},
		{"explicit servers", []mx.Option{mx.WithServers("127.0.0.1:5353", "192.0.2.1")}, "127.0.0.1:5353 192.0.2.1:53"},
		{"no servers", []mx.Option{mx.WithServers()}, "mx: no DNS servers"},
		{"bad server", []mx.Option{mx.WithServers("127.0.0.1:0")}, "port 0"},
		{"bad local name", []mx.Option{mx.WithServers("127.0.0.1"), mx.WithLocalNames("a..b")}, "mx: local name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mx.New(tc.opts...)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = strings.Join(r.Servers(), " ")
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("New: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReply(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "0  false"},
		{errors.New("boom"), "451 4.4.0 false"},
		{&mx.PermanentError{Name: "x", Err: mx.ErrNullMX}, "556 5.1.10 true"},
		{&mx.PermanentError{Name: "x", Err: mx.ErrNoSuchDomain}, "550 5.1.2 true"},
		{&mx.PermanentError{Name: "x", Err: mx.ErrLoop}, "554 5.4.6 true"},
		{&mx.PermanentError{Name: "x", Err: mx.ErrNoAddress}, "554 5.4.4 true"},
		{&mx.TemporaryError{Name: "x", Type: "MX", Err: mx.ErrServerFailure}, "451 4.4.3 false"},
	} {
		r, perm := mx.Reply(tc.err)
		if got := fmt.Sprintf("%d %s %v", r.Code, r.Enhanced(), perm); got != tc.want {
			t.Errorf("Reply(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&mx.PermanentError{Name: "fabrikam.com", Err: mx.ErrNullMX}, "mx: domain accepts no mail (null MX): fabrikam.com"},
		{&mx.TemporaryError{Name: "fabrikam.com", Type: "MX", Server: "127.0.0.1:53", Err: mx.ErrServerFailure},
			"mx: temporary failure looking up MX for fabrikam.com at 127.0.0.1:53: mx: DNS server failure"},
		{&mx.TemporaryError{Name: "a.example", Type: "A", Err: mx.ErrCNAMEChain},
			"mx: temporary failure looking up A for a.example: mx: CNAME chain loops or is too long"},
		{&mx.PermanentError{Name: "a b", Err: &mx.ParseError{Kind: "domain", Input: "a b", Msg: "bad"}}, `mx: invalid domain "a b": bad`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
