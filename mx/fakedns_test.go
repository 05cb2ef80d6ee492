package mx_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// fakeDNS is an in-test DNS server on 127.0.0.1 (UDP and TCP on the same
// port) answering from a fixed record set, the way a recursive resolver
// answers a stub: CNAME chains are chased inside the zone unless noChase.
type fakeDNS struct {
	Addr string

	records  []dns.RR
	servfail map[string]bool // lower-case fqdn -> SERVFAIL for every type
	truncate bool            // answer every UDP query with TC set and no records
	noChase  bool            // stop at the first CNAME, as an authoritative server for another zone
	insecure map[string]bool // lower-case fqdn -> answered without AD; others get AD when asked for it

	udp, tcp *dns.Server
	mu       sync.Mutex
	log      []string // "udp MX example.com."
}

// fakeOption configures a fakeDNS before it starts.
type fakeOption func(*fakeDNS)

func servfail(names ...string) fakeOption {
	return func(f *fakeDNS) {
		for _, n := range names {
			f.servfail[strings.ToLower(dns.Fqdn(n))] = true
		}
	}
}

// insecureNames leaves AD off for these names, as a validator does for
// an unsigned zone; every other answer claims validation when asked (AD).
func insecureNames(names ...string) fakeOption {
	return func(f *fakeDNS) {
		for _, n := range names {
			f.insecure[strings.ToLower(dns.Fqdn(n))] = true
		}
	}
}

func truncateUDP() fakeOption { return func(f *fakeDNS) { f.truncate = true } }
func noChase() fakeOption     { return func(f *fakeDNS) { f.noChase = true } }

// startFakeDNS parses zone lines ("a.example. 300 IN A 192.0.2.1") and
// serves them until Close.
func startFakeDNS(zone []string, opts ...fakeOption) (*fakeDNS, error) {
	f := &fakeDNS{servfail: make(map[string]bool), insecure: make(map[string]bool)}
	for _, line := range zone {
		rr, err := dns.NewRR(line)
		if err != nil {
			return nil, fmt.Errorf("fakedns: %q: %w", line, err)
		}
		f.records = append(f.records, rr)
	}
	for _, o := range opts {
		o(f)
	}
	pc, l, err := listenPair()
	if err != nil {
		return nil, err
	}
	f.Addr = pc.LocalAddr().String()
	f.udp = &dns.Server{PacketConn: pc, Handler: f}
	f.tcp = &dns.Server{Listener: l, Handler: f}
	for _, s := range []*dns.Server{f.udp, f.tcp} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe() //nolint:errcheck // returns nil after Shutdown
		<-started
	}
	return f, nil
}

// listenPair binds UDP and TCP on one loopback port, so that a truncated
// UDP reply can be retried over TCP at the same address.
func listenPair() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("fakedns: no free UDP+TCP port pair: %w", lastErr)
}

// newFakeDNS starts a fakeDNS that t's cleanup shuts down.
func newFakeDNS(t testing.TB, zone []string, opts ...fakeOption) *fakeDNS {
	t.Helper()
	f, err := startFakeDNS(zone, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// Close shuts both servers down and waits for their goroutines.
func (f *fakeDNS) Close() error {
	return errors.Join(f.udp.Shutdown(), f.tcp.Shutdown())
}

// Queries returns the queries seen so far.
func (f *fakeDNS) Queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeDNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	network := w.LocalAddr().Network()
	f.mu.Lock()
	f.log = append(f.log, network+" "+dns.TypeToString[q.Qtype]+" "+name)
	f.mu.Unlock()

	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	m.AuthenticatedData = req.AuthenticatedData && !f.insecure[name]
	switch {
	case f.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	case f.truncate && network == "udp":
		m.Truncated = true
	default:
		m.Answer, m.Rcode = f.resolve(name, q.Qtype)
	}
	w.WriteMsg(m) //nolint:errcheck // a lost reply is the client's timeout to handle
}

// resolve answers like a recursive server: the records of qtype at name,
// preceded by the CNAME chain leading there (cut at the first repeat).
func (f *fakeDNS) resolve(name string, qtype uint16) ([]dns.RR, int) {
	var answer []dns.RR
	seen := map[string]bool{}
	for !seen[name] {
		seen[name] = true
		var cname *dns.CNAME
		var found []dns.RR
		for _, rr := range f.records {
			h := rr.Header()
			if !strings.EqualFold(h.Name, name) {
				continue
			}
			if h.Rrtype == qtype {
				found = append(found, dns.Copy(rr))
			} else if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if len(found) > 0 || cname == nil || qtype == dns.TypeCNAME {
			return append(answer, found...), f.rcodeFor(name)
		}
		answer = append(answer, dns.Copy(cname))
		if f.noChase {
			return answer, dns.RcodeSuccess
		}
		name = strings.ToLower(cname.Target)
	}
	return answer, dns.RcodeSuccess
}

func (f *fakeDNS) rcodeFor(name string) int {
	for _, rr := range f.records {
		if strings.EqualFold(rr.Header().Name, name) {
			return dns.RcodeSuccess
		}
	}
	return dns.RcodeNameError
}

// blackhole is a UDP socket that reads queries and never answers. Each
// query received is signalled on Got (buffered, never blocks).
type blackhole struct {
	Addr string
	Got  chan struct{}
	pc   net.PacketConn
	done chan struct{}
}

func newBlackhole(t testing.TB) *blackhole {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{Addr: pc.LocalAddr().String(), Got: make(chan struct{}, 64), pc: pc, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		buf := make([]byte, 1500)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			select {
			case b.Got <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-b.done })
	return b
}
