package mx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// ednsSize is the EDNS0 UDP payload size we advertise: the DNS Flag Day
// 2020 value, which avoids IP fragmentation.
const ednsSize = 1232

// answer is the outcome of a lookup after CNAME chasing.
type answer struct {
	rrs   []dns.RR // records of the queried type owned by the canonical name
	owner string   // the canonical name (end of the CNAME chain), fqdn
	nx    bool     // the canonical name does not exist (NXDOMAIN)
	// secure: every reply of the chain carried the AD bit from a trusted
	// validating resolver (WithTrustAD).
	secure bool
}

// lookup resolves name (canonical form, no trailing dot) for qtype and
// follows CNAMEs, within one reply (as recursive servers return them) and
// across replies, up to the configured depth. A loop or an over-long chain
// is a *TemporaryError wrapping ErrCNAMEChain.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) (answer, error) {
	target := dns.Fqdn(name)
	seen := map[string]bool{target: true}
	hops := 0
	secure := r.opts.trustAD
	for {
		msg, err := r.query(ctx, target, qtype)
		if err != nil {
			return answer{}, err
		}
		secure = secure && msg.AuthenticatedData
		moved := false
		for {
			if rrs := recordsFor(msg.Answer, target, qtype); len(rrs) > 0 {
				return answer{rrs: rrs, owner: target, secure: secure}, nil
			}
			next, ok := cnameFor(msg.Answer, target)
			if !ok {
				break
			}
			hops++
			if hops > r.opts.cnameDepth || seen[next] {
				return answer{}, &TemporaryError{Name: name, Type: dns.TypeToString[qtype],
					Err: fmt.Errorf("%w (at %s, %d hops)", ErrCNAMEChain, next, hops)}
			}
			seen[next], target, moved = true, next, true
		}
		// After a CNAME we cannot tell whether the server chased the chain
		// (so NXDOMAIN/NODATA is about the target) or stopped at it, as an
		// authoritative server for another zone does: ask about the target.
		if moved {
			continue
		}
		return answer{owner: target, nx: msg.Rcode == dns.RcodeNameError, secure: secure}, nil
	}
}

// recordsFor returns the records of type qtype owned by owner.
func recordsFor(rrs []dns.RR, owner string, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		h := rr.Header()
		if h.Rrtype == qtype && strings.EqualFold(h.Name, owner) {
			out = append(out, rr)
		}
	}
	return out
}

// cnameFor returns the lower-cased target of owner's CNAME, if any.
func cnameFor(rrs []dns.RR, owner string) (string, bool) {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, owner) {
			return strings.ToLower(dns.Fqdn(c.Target)), true
		}
	}
	return "", false
}

// query asks the servers in order, up to attempts rounds, and returns the
// first NOERROR or NXDOMAIN reply. Everything else ends in *TemporaryError.
func (r *Resolver) query(ctx context.Context, fqdn string, qtype uint16) (*dns.Msg, error) {
	temp := &TemporaryError{Name: strings.TrimSuffix(fqdn, "."), Type: dns.TypeToString[qtype]}
	for range r.opts.attempts {
		for _, server := range r.servers {
			msg, err := r.exchange(ctx, server, fqdn, qtype)
			temp.Server = server
			if ctxErr := ctx.Err(); ctxErr != nil {
				temp.Err = ctxErr
				return nil, temp
			}
			if err != nil {
				temp.Err = err
				continue
			}
			if msg.Rcode == dns.RcodeSuccess || msg.Rcode == dns.RcodeNameError {
				return msg, nil
			}
			temp.Err = fmt.Errorf("%w: %s", ErrServerFailure, dns.RcodeToString[msg.Rcode])
		}
	}
	return nil, temp
}

// exchange sends one query to one server, over UDP then TCP on truncation
// when the protocol allows it.
func (r *Resolver) exchange(ctx context.Context, server, fqdn string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	// RFC 6840 §5.7: AD in a query asks a validator to report validation
	// without the bulk of DO's signatures.
	m.AuthenticatedData = r.opts.trustAD
	m.SetEdns0(ednsSize, false)
	network := "udp"
	if r.opts.protocol == ProtocolTCP {
		network = "tcp"
	}
	reply, err := r.exchangeOn(ctx, network, server, m)
	if err == nil && reply.Truncated && network == "udp" && r.opts.protocol == ProtocolAny {
		reply, err = r.exchangeOn(ctx, "tcp", server, m)
	}
	if err != nil {
		return nil, err
	}
	if len(reply.Question) != 1 || reply.Question[0].Qtype != qtype ||
		!strings.EqualFold(reply.Question[0].Name, fqdn) {
		return nil, errors.New("mx: reply does not match the question")
	}
	return reply, nil
}

// exchangeOn runs one exchange bounded by the per-query timeout. miekg/dns
// honours only the context's deadline, so a cancellation closes the
// connection to abort a pending read at once.
func (r *Resolver) exchangeOn(ctx context.Context, network, server string, m *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.timeout)
	defer cancel()
	c := &dns.Client{Net: network, Timeout: r.opts.timeout}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	reply, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil && (ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded)) {
		// The socket deadline and the context timer race; report either the
		// same way. An outer cancellation is reported by query instead.
		return nil, fmt.Errorf("mx: no reply within %v: %w", r.opts.timeout, context.DeadlineExceeded)
	}
	return reply, err
}
