package mxtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func exchange(t *testing.T, d *DNS, netw, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m, err := tryExchange(d, netw, name, qtype, 5*time.Second)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], netw, err)
	}
	return m
}

func tryExchange(d *DNS, netw, name string, qtype uint16, timeout time.Duration) (*dns.Msg, error) {
	c := &dns.Client{Net: netw, Timeout: timeout}
	m, _, err := c.Exchange(new(dns.Msg).SetQuestion(dns.Fqdn(name), qtype), d.Addr())
	return m, err
}

// answers renders the answer section compactly: "TYPE rdata" per record.
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		hdr := rr.Header().String()
		out = append(out, strings.TrimSpace(strings.TrimPrefix(rr.String(), hdr))+" @"+rr.Header().Name)
	}
	return out
}

func newTestDNS(t *testing.T) *DNS {
	return NewDNS(t,
		MX("fabrikam.com", 10, "mx1.fabrikam.com"),
		MX("fabrikam.com", 20, "mx2.fabrikam.com"),
		A("mx1.fabrikam.com", "127.0.0.1"),
		AAAA("mx6.fabrikam.com", "::1"),
		NullMX("nomail.example"),
		CNAME("alias.example", "mx1.fabrikam.com"),
		CNAME("dangling.example", "nowhere.example"),
		CNAME("loop1.example", "loop2.example"),
		CNAME("loop2.example", "loop1.example"),
		A("a.b.example", "192.0.2.1"),
		TXT("fabrikam.com", "v=spf1 -all"),
		ServFail("broken.example"),
	)
}

func TestDNSAnswers(t *testing.T) {
	d := newTestDNS(t)
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"fabrikam.com", dns.TypeMX, dns.RcodeSuccess, []string{"10 mx1.fabrikam.com. @fabrikam.com.", "20 mx2.fabrikam.com. @fabrikam.com."}},
		{"FABRIKAM.com.", dns.TypeMX, dns.RcodeSuccess, []string{"10 mx1.fabrikam.com. @fabrikam.com.", "20 mx2.fabrikam.com. @fabrikam.com."}},
		{"nomail.example", dns.TypeMX, dns.RcodeSuccess, []string{"0 . @nomail.example."}},
		{"mx1.fabrikam.com", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.1 @mx1.fabrikam.com."}},
		{"mx6.fabrikam.com", dns.TypeAAAA, dns.RcodeSuccess, []string{"::1 @mx6.fabrikam.com."}},
		{"fabrikam.com", dns.TypeTXT, dns.RcodeSuccess, []string{`"v=spf1 -all" @fabrikam.com.`}},
		{"mx1.fabrikam.com", dns.TypeMX, dns.RcodeSuccess, nil}, // NODATA
		{"b.example", dns.TypeA, dns.RcodeSuccess, nil},         // empty non-terminal
		{"alias.example", dns.TypeA, dns.RcodeSuccess, []string{"mx1.fabrikam.com. @alias.example.", "127.0.0.1 @mx1.fabrikam.com."}},
		{"alias.example", dns.TypeCNAME, dns.RcodeSuccess, []string{"mx1.fabrikam.com. @alias.example."}},
		{"alias.example", dns.TypeMX, dns.RcodeSuccess, []string{"mx1.fabrikam.com. @alias.example."}},
		{"dangling.example", dns.TypeA, dns.RcodeNameError, []string{"nowhere.example. @dangling.example."}},
		{"loop1.example", dns.TypeA, dns.RcodeSuccess, []string{"loop2.example. @loop1.example.", "loop1.example. @loop2.example."}},
		{"unknown.fabrikam.com", dns.TypeMX, dns.RcodeNameError, nil},
		{"elsewhere.test", dns.TypeA, dns.RcodeNameError, nil},
		{"broken.example", dns.TypeMX, dns.RcodeServerFailure, nil},
	}
	for _, netw := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s/%s", netw, tt.name, dns.TypeToString[tt.qtype]), func(t *testing.T) {
				m := exchange(t, d, netw, tt.name, tt.qtype)
				if m.Rcode != tt.rcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
				}
				if got := answers(m); !slices.Equal(got, tt.want) {
					t.Errorf("answers = %q, want %q", got, tt.want)
				}
				if tt.rcode != dns.RcodeServerFailure && !m.Authoritative {
					t.Error("answer is not authoritative")
				}
			})
		}
	}
}

func TestDNSTimeout(t *testing.T) {
	d := NewDNS(t, Timeout("slow.example"))
	for _, netw := range []string{"udp", "tcp"} {
		_, err := tryExchange(d, netw, "slow.example", dns.TypeMX, 100*time.Millisecond)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%s: err = %v, want a timeout", netw, err)
		}
	}
	want := []Query{{"slow.example.", dns.TypeMX, "udp"}, {"slow.example.", dns.TypeMX, "tcp"}}
	if got := d.Queries(); !slices.Equal(got, want) {
		t.Errorf("Queries = %v, want %v", got, want)
	}
}

func TestDNSAddRemove(t *testing.T) {
	d := NewDNS(t)
	if m := exchange(t, d, "udp", "contoso.com", dns.TypeMX); m.Rcode != dns.RcodeNameError {
		t.Fatalf("before Add: rcode %s", dns.RcodeToString[m.Rcode])
	}
	d.Add(MX("contoso.com", 5, "mail.contoso.com"), MX("contoso.com", 5, "mail.contoso.com"))
	if m := exchange(t, d, "udp", "contoso.com", dns.TypeMX); len(m.Answer) != 1 {
		t.Fatalf("after Add: %v", m.Answer)
	}
	d.Remove("CONTOSO.com")
	if m := exchange(t, d, "udp", "contoso.com", dns.TypeMX); m.Rcode != dns.RcodeNameError {
		t.Fatalf("after Remove: rcode %s", dns.RcodeToString[m.Rcode])
	}
	if got := len(d.Queries()); got != 3 {
		t.Errorf("%d queries recorded, want 3", got)
	}
	if q := d.Queries()[0].String(); q != "contoso.com. MX" {
		t.Errorf("Query.String() = %q", q)
	}
}

// TestDNSTruncation checks that a large answer sets TC over UDP and is
// complete over TCP and within an EDNS0 buffer.
func TestDNSTruncation(t *testing.T) {
	var recs []Record
	for i := range 40 {
		recs = append(recs, MX("big.example", uint16(i), fmt.Sprintf("mx%02d.some-long-mail-host-name.big.example", i)))
	}
	d := NewDNS(t, recs...)
	if m := exchange(t, d, "udp", "big.example", dns.TypeMX); !m.Truncated || len(m.Answer) == 40 {
		t.Errorf("udp: truncated=%v answers=%d", m.Truncated, len(m.Answer))
	}
	if m := exchange(t, d, "tcp", "big.example", dns.TypeMX); m.Truncated || len(m.Answer) != 40 {
		t.Errorf("tcp: truncated=%v answers=%d", m.Truncated, len(m.Answer))
	}
	q := new(dns.Msg).SetQuestion("big.example.", dns.TypeMX).SetEdns0(dns.MaxMsgSize, false)
	m, _, err := (&dns.Client{Net: "udp", UDPSize: dns.MaxMsgSize}).Exchange(q, d.Addr())
	if err != nil {
		t.Fatalf("udp+edns0: %v", err)
	}
	if m.Truncated || len(m.Answer) != 40 {
		t.Errorf("udp+edns0: truncated=%v answers=%d", m.Truncated, len(m.Answer))
	}
}

// fatal runs NewDNS with records on a Standalone, whose Fatalf panics,
// and returns the Fatalf message ("" if none).
func fatal(records ...Record) (msg string) {
	tb := new(Standalone)
	defer tb.Close()
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	NewDNS(tb, records...)
	return ""
}

func TestDNSBadRecordIsFatal(t *testing.T) {
	tests := []Record{A("x.example", "::1"), A("x.example", "nope"), AAAA("x.example", "192.0.2.1"), AAAA("x.example", "::ffff:192.0.2.1"),
		Zone("x.example. A 999.0.2.1")[0], Zone("x.example. NOSUCHTYPE 1")[0], Zone("; only a comment")[0]}
	for _, r := range tests {
		t.Run(r.String(), func(t *testing.T) {
			if msg := fatal(r); msg == "" {
				t.Errorf("NewDNS accepted %v", r)
			}
		})
	}
}

// TestDNSResolverBehaviours covers what the server does beyond an
// authoritative server's answers: zone lines, truncation faults,
// unchased CNAMEs and claimed validation.
func TestDNSResolverBehaviours(t *testing.T) {
	zone := Zone(
		"Alias.Example. CNAME target.example.",
		"target.example. 60 IN A 192.0.2.7",
		"mx.example. MX 10 MX1.Example.",
		"plain.example. A 192.0.2.8",
	)
	tests := []struct {
		name   string
		setup  func(d *DNS)
		extra  []Record
		netw   string
		qname  string
		qtype  uint16
		askAD  bool
		want   []string
		tc, ad bool
	}{
		{name: "zone line, owner case-folded", netw: "udp", qname: "alias.example", qtype: dns.TypeA,
			want: []string{"target.example. @alias.example.", "192.0.2.7 @target.example."}},
		{name: "zone line keeps rdata as written", netw: "udp", qname: "mx.example", qtype: dns.TypeMX,
			want: []string{"10 MX1.Example. @mx.example."}},
		{name: "truncated over udp", extra: []Record{Truncate("plain.example")}, netw: "udp", qname: "plain.example", qtype: dns.TypeA, tc: true},
		{name: "truncation fault spares tcp", extra: []Record{Truncate("plain.example")}, netw: "tcp", qname: "plain.example", qtype: dns.TypeA,
			want: []string{"192.0.2.8 @plain.example."}},
		{name: "stop at CNAME", setup: (*DNS).StopAtCNAME, netw: "udp", qname: "alias.example", qtype: dns.TypeA,
			want: []string{"target.example. @alias.example."}},
		{name: "no AD unless claimed", netw: "udp", qname: "plain.example", qtype: dns.TypeA, askAD: true,
			want: []string{"192.0.2.8 @plain.example."}},
		{name: "AD claimed when asked", setup: func(d *DNS) { d.ClaimAD() }, netw: "udp", qname: "plain.example", qtype: dns.TypeA, askAD: true,
			want: []string{"192.0.2.8 @plain.example."}, ad: true},
		{name: "AD claimed, not asked", setup: func(d *DNS) { d.ClaimAD() }, netw: "udp", qname: "plain.example", qtype: dns.TypeA,
			want: []string{"192.0.2.8 @plain.example."}},
		{name: "AD claimed on a denial", setup: func(d *DNS) { d.ClaimAD() }, netw: "tcp", qname: "none.example", qtype: dns.TypeA, askAD: true, ad: true},
		{name: "insecure name in the chain", setup: func(d *DNS) { d.ClaimAD("TARGET.example") }, netw: "udp", qname: "alias.example", qtype: dns.TypeA, askAD: true,
			want: []string{"target.example. @alias.example.", "192.0.2.7 @target.example."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDNS(t, append(zone, tt.extra...)...)
			if tt.setup != nil {
				tt.setup(d)
			}
			q := new(dns.Msg).SetQuestion(dns.Fqdn(tt.qname), tt.qtype)
			q.AuthenticatedData = tt.askAD
			m, _, err := (&dns.Client{Net: tt.netw, Timeout: 5 * time.Second}).Exchange(q, d.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if got := answers(m); !slices.Equal(got, tt.want) || m.Truncated != tt.tc || m.AuthenticatedData != tt.ad {
				t.Errorf("answers %q TC %v AD %v, want %q TC %v AD %v", got, m.Truncated, m.AuthenticatedData, tt.want, tt.tc, tt.ad)
			}
		})
	}
}

func TestDNSWaitQueries(t *testing.T) {
	d := NewDNS(t, Timeout("slow.example"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tryExchange(d, "udp", "slow.example", dns.TypeMX, 100*time.Millisecond) //nolint:errcheck // unanswered by design
	}()
	defer func() { <-done }()
	qs, err := d.WaitQueries(t.Context(), 1)
	if err != nil || len(qs) != 1 || qs[0] != (Query{"slow.example.", dns.TypeMX, "udp"}) {
		t.Fatalf("WaitQueries = %v, %v", qs, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.WaitQueries(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitQueries(cancelled) = %v, want context.Canceled", err)
	}
}

func TestDNSClientConfig(t *testing.T) {
	d := NewDNS(t)
	cc := d.ClientConfig()
	if got := net.JoinHostPort(cc.Servers[0], cc.Port); got != d.Addr() {
		t.Errorf("ClientConfig points at %s, want %s", got, d.Addr())
	}
}

func TestDNSResolver(t *testing.T) {
	d := NewDNS(t, TXT("contoso.com", "v=spf1 -all"))
	txt, err := d.Resolver().LookupTXT(t.Context(), "contoso.com")
	if err != nil || len(txt) != 1 || txt[0] != "v=spf1 -all" {
		t.Fatalf("LookupTXT = %q, %v", txt, err)
	}
}
