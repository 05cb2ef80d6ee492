package mxtest

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

const (
	// maxChase bounds CNAME chains so a loop in the test data cannot spin.
	maxChase = 8
	// listenAttempts bounds the search for a port free on both UDP and TCP.
	listenAttempts = 20
	// shutdownGrace bounds how long cleanup waits for in-flight queries.
	shutdownGrace = 5 * time.Second
)

// DNS is a real DNS server on 127.0.0.1, answering over UDP and TCP on
// the same port, authoritative for the records it was given. Names that
// are neither owners of records nor their ancestors get NXDOMAIN; names
// that exist without records of the asked type get an empty NOERROR
// (NODATA) answer, so "no MX, fall back to A" paths behave as on the
// Internet. UDP answers are truncated (TC bit) to 512 bytes or the
// client's EDNS0 buffer size, so resolvers exercise their TCP retry.
//
// By default it answers as an authoritative server for all its data:
// CNAME chains are followed within it, and the AD bit is never set.
// StopAtCNAME and ClaimAD make it answer as the resolvers a client meets
// instead.
//
// A DNS is safe for concurrent use; records may be changed while it runs.
type DNS struct {
	t    TB
	addr string
	srvs []*dns.Server
	done []chan error

	mu       sync.RWMutex
	data     map[string][]Record
	queries  []Query
	queried  chan struct{} // closed, and replaced, at each query
	noChase  bool
	claimAD  bool
	insecure map[string]bool
}

// NewDNS starts a DNS server serving records and registers its shutdown
// with t.Cleanup. It calls t.Fatalf if a record is malformed or the
// server cannot start.
func NewDNS(t TB, records ...Record) *DNS {
	t.Helper()
	d := &DNS{t: t, data: make(map[string][]Record), queried: make(chan struct{}), insecure: make(map[string]bool)}
	d.Add(records...)
	pc, l, err := listenUDPAndTCP()
	if err != nil {
		t.Fatalf("mxtest: dns: %v", err)
	}
	d.addr = l.Addr().String()
	t.Cleanup(d.shutdown)
	for _, srv := range []*dns.Server{{PacketConn: pc}, {Listener: l}} {
		if err := d.start(srv); err != nil {
			pc.Close() // sockets not yet owned by a running server
			l.Close()
			t.Fatalf("mxtest: dns: %v", err)
		}
	}
	return d
}

// listenUDPAndTCP binds a UDP socket on an ephemeral loopback port and a
// TCP listener on the same port, retrying when TCP finds it taken.
func listenUDPAndTCP() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range listenAttempts {
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
	return nil, nil, lastErr
}

// start serves srv in a goroutine and returns once miekg/dns reports it
// is serving (NotifyStartedFunc), or with its startup error.
func (d *DNS) start(srv *dns.Server) error {
	ready := make(chan struct{})
	done := make(chan error, 1)
	srv.Handler = dns.HandlerFunc(d.serve)
	srv.NotifyStartedFunc = func() { close(ready) }
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-ready:
		d.srvs = append(d.srvs, srv)
		d.done = append(d.done, done)
		return nil
	case err := <-done:
		return err
	}
}

func (d *DNS) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for i, srv := range d.srvs {
		if err := srv.ShutdownContext(ctx); err != nil {
			d.t.Logf("mxtest: dns shutdown: %v", err)
		}
		<-d.done[i]
	}
}

// Addr returns the server's address, "127.0.0.1:port", for UDP and TCP.
func (d *DNS) Addr() string { return d.addr }

// ClientConfig returns a resolver configuration pointing at the server,
// as dns.ClientConfigFromFile would for an /etc/resolv.conf naming it.
func (d *DNS) ClientConfig() *dns.ClientConfig {
	host, port, _ := net.SplitHostPort(d.addr)
	return &dns.ClientConfig{Servers: []string{host}, Port: port, Ndots: 1, Timeout: 5, Attempts: 2}
}

// Resolver returns a Go resolver that sends every query to the server,
// for code that takes a *net.Resolver (SPF and DKIM libraries).
func (d *DNS) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, d.addr)
	}}
}

// Add adds records (and faults) to the served data. It calls t.Fatalf
// for a malformed record.
func (d *DNS) Add(records ...Record) {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range records {
		if r.err != nil {
			d.t.Fatalf("%v", r.err)
			return
		}
		if !containsRecord(d.data[r.name], r) {
			d.data[r.name] = append(d.data[r.name], r)
		}
	}
}

func containsRecord(rs []Record, r Record) bool {
	for _, have := range rs {
		if have.String() == r.String() {
			return true
		}
	}
	return false
}

// Remove deletes every record and fault owned by name.
func (d *DNS) Remove(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.data, canonical(name))
}

// Queries returns the questions received so far, in arrival order.
func (d *DNS) Queries() []Query {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]Query(nil), d.queries...)
}

// WaitQueries waits until the server has received at least n questions
// and returns them, or returns ctx's error.
func (d *DNS) WaitQueries(ctx context.Context, n int) ([]Query, error) {
	for {
		d.mu.RLock()
		qs, queried := d.queries, d.queried
		d.mu.RUnlock()
		if len(qs) >= n {
			return append([]Query(nil), qs...), nil
		}
		select {
		case <-queried:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// StopAtCNAME makes answers stop at the first CNAME instead of following
// the chain, as a server authoritative for the alias's zone alone
// answers, so that the client must chase the target itself.
func (d *DNS) StopAtCNAME() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.noChase = true
}

// ClaimAD makes the server answer like a validating resolver: a query
// that asks for validation (the AD or DO bit) gets AD in its answer,
// unless the answer involves one of the insecure names, as the data of
// an unsigned zone would. It stands in for a validating resolver a
// client is told to trust, without running one (StartUnbound runs one
// that really validates).
func (d *DNS) ClaimAD(insecure ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claimAD = true
	for _, n := range insecure {
		d.insecure[canonical(n)] = true
	}
}

// String describes the server for test logs.
func (d *DNS) String() string { return "mxtest.DNS(" + d.addr + ")" }

func (d *DNS) serve(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		w.WriteMsg(new(dns.Msg).SetRcode(req, dns.RcodeFormatError))
		return
	}
	q := req.Question[0]
	netw := w.LocalAddr().Network()
	resp, answer := d.answer(req, Query{Name: canonical(q.Name), Type: q.Qtype, Net: netw})
	if !answer {
		return // Timeout fault: let the client's deadline expire.
	}
	opt := req.IsEdns0()
	if netw == "udp" {
		size := dns.MinMsgSize
		if opt != nil {
			size = max(int(opt.UDPSize()), dns.MinMsgSize)
			resp.SetEdns0(uint16(size), opt.Do())
		}
		resp.Truncate(size)
	} else if opt != nil && opt.Do() {
		resp.SetEdns0(opt.UDPSize(), true) // RFC 3225: echo DO
	}
	w.WriteMsg(resp)
}

// answer records q and builds the authoritative response, following
// CNAMEs within the served data. The boolean is false when the query
// must go unanswered.
func (d *DNS) answer(req *dns.Msg, q Query) (*dns.Msg, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queries = append(d.queries, q)
	close(d.queried)
	d.queried = make(chan struct{})

	// DO (RFC 3225) asks for the signatures of a signed zone (SignedZone).
	do := req.IsEdns0() != nil && req.IsEdns0().Do()
	seen := map[string]bool{}
	resp, ok := d.resolve(req, q, do, seen)
	if ok && resp.Rcode != dns.RcodeServerFailure {
		resp.AuthenticatedData = d.validated(req, do, seen)
	}
	return resp, ok
}

// resolve builds the response to q, adding each owner name it visits to
// seen. The caller holds d.mu.
func (d *DNS) resolve(req *dns.Msg, q Query, do bool, seen map[string]bool) (*dns.Msg, bool) {
	resp := new(dns.Msg).SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true
	name := q.Name
	for range maxChase {
		if seen[name] {
			break // CNAME loop: return the chain so far, as servers do.
		}
		seen[name] = true
		recs := d.data[name]
		switch faultOf(recs) {
		case faultTimeout:
			return nil, false
		case faultServFail:
			return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure), true
		case faultTruncate:
			if q.Net == "udp" {
				resp.Truncated = true
				return resp, true
			}
		}
		if len(recs) == 0 && !d.exists(name) {
			resp.Rcode = dns.RcodeNameError
			d.negativeAuthority(resp, name, true, do)
			return resp, true
		}
		if matched := matching(recs, q.Type); len(matched) > 0 || q.Type == dns.TypeCNAME {
			resp.Answer = append(resp.Answer, matched...)
			if do {
				resp.Answer = append(resp.Answer, d.sigsFor(name, q.Type)...)
			}
			break
		}
		c := cnameOf(recs)
		if c == nil {
			d.negativeAuthority(resp, name, false, do)
			break // NODATA
		}
		resp.Answer = append(resp.Answer, dns.Copy(c))
		if do {
			resp.Answer = append(resp.Answer, d.sigsFor(name, dns.TypeCNAME)...)
		}
		if d.noChase {
			break
		}
		name = c.Target
	}
	return resp, true
}

// validated reports whether an answer about the names seen claims AD
// (ClaimAD). The caller holds d.mu.
func (d *DNS) validated(req *dns.Msg, do bool, seen map[string]bool) bool {
	if !d.claimAD || !req.AuthenticatedData && !do {
		return false
	}
	for n := range seen {
		if d.insecure[n] {
			return false
		}
	}
	return true
}

// exists reports whether name owns data or is an empty non-terminal
// above a name that does. The caller holds d.mu.
func (d *DNS) exists(name string) bool {
	for owner := range d.data {
		if owner == name || strings.HasSuffix(owner, "."+name) || name == "." {
			return true
		}
	}
	return false
}

func faultOf(recs []Record) fault {
	for _, r := range recs {
		if r.fault != faultNone {
			return r.fault
		}
	}
	return faultNone
}

// matching returns copies of the records of type qtype (all for ANY).
// A CNAME owner has no other data, so CNAMEs only match CNAME and ANY.
func matching(recs []Record, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, r := range recs {
		if r.rr != nil && (qtype == dns.TypeANY || r.rr.Header().Rrtype == qtype) {
			out = append(out, dns.Copy(r.rr))
		}
	}
	return out
}

func cnameOf(recs []Record) *dns.CNAME {
	for _, r := range recs {
		if c, ok := r.rr.(*dns.CNAME); ok {
			return c
		}
	}
	return nil
}
