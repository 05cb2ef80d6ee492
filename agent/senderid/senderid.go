// Package senderid is the Sender ID agent of an Edge transport, checking
// SPF (RFC 7208) with blitiri.com.ar/go/spf: at end of headers it asks
// whether the connecting address may send for the MAIL FROM domain (the
// HELO name for the null sender), stamps the result as Received-SPF
// (RFC 7208 §9.1) and Authentication-Results (RFC 8601), and applies the
// reference system's actions: a Fail takes SpoofedDomainAction, a
// TempError TempErrorAction (StampStatus, Reject or Delete, StampStatus by
// default), every other result is stamped.
//
// blitiri.com.ar/go/spf supports every mechanism, modifier and macro and
// the RFC's lookup limits, takes a context and a resolver, and is the
// library chasquid and maddy use.
//
// Start with:
//
//	f := senderid.New(senderid.Config{Hostname: "edge.contoso.com", SpoofedDomainAction: senderid.Reject})
//	err := chain.Register(senderid.Name, f, agent.Priority(senderid.Priority))
package senderid

import (
	"context"
	"net"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"

	"github.com/hubedge/hubedge/agent"
)

// Name and Priority are the agent's name and place among the built-in
// Edge agents.
const (
	Name     = "Sender Id Agent"
	Priority = 5
)

// ResultHeader carries the result inside the organization, as the
// reference system's agent stamps it.
const ResultHeader = "X-MS-Exchange-Organization-SenderIdResult"

// Action is what the agent does with a Fail or TempError.
type Action uint8

// The actions of Set-SenderIdConfig -SpoofedDomainAction/-TempErrorAction.
const (
	StampStatus Action = iota
	Reject
	// Delete answers as if accepted and drops the message.
	Delete
)

// Config is the agent's configuration.
type Config struct {
	// Hostname names this server in the stamps (authserv-id).
	Hostname            string
	SpoofedDomainAction Action
	TempErrorAction     Action
	// BypassedSenderDomains are not checked.
	BypassedSenderDomains []string
	// Resolver does the SPF lookups (net.DefaultResolver by default).
	Resolver spf.DNSResolver
	// InternalMailEnabled checks authenticated and internal sessions too.
	InternalMailEnabled bool
}

// Filter is the Sender ID agent.
type Filter struct{ cfg Config }

var _ agent.EndOfHeadersAgent = (*Filter)(nil)

// New returns the agent for cfg.
func New(cfg Config) *Filter {
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	return &Filter{cfg: cfg}
}

// Replies of the Reject action.
var (
	ReplyFail      = agent.Reject(550, "5.7.1", "Sender ID (PRA) Not Permitted")
	ReplyTempError = agent.Defer("4.7.24", "SPF validation error, try again later")
)

// Check returns the SPF result for a client at ip that said helo and
// MAIL FROM:<sender>.
func (f *Filter) Check(ctx context.Context, ip net.IP, helo, sender string) spf.Result {
	r, _ := spf.CheckHostWithSender(ip, helo, sender,
		spf.WithContext(ctx), spf.WithResolver(f.cfg.Resolver))
	return r // the library's error only explains the result
}

// OnEndOfHeaders checks SPF, stamps the result and acts on it.
func (f *Filter) OnEndOfHeaders(ctx context.Context, e *agent.MessageEvent) error {
	s := &e.Session
	if (e.Bypassed() && !f.cfg.InternalMailEnabled) || f.bypassedDomain(s.Sender) {
		return nil
	}
	ip := net.IP(s.Remote.Addr().Unmap().AsSlice())
	res := f.Check(ctx, ip, s.HeloName, s.Sender)
	action := StampStatus
	switch res {
	case spf.Fail:
		action = f.cfg.SpoofedDomainAction
	case spf.TempError:
		action = f.cfg.TempErrorAction
	}
	switch action {
	case Reject:
		if res == spf.Fail {
			return ReplyFail
		}
		return ReplyTempError
	case Delete:
		e.Discard()
		return nil
	}
	f.stamp(e, res, ip)
	return nil
}

func (f *Filter) bypassedDomain(sender string) bool {
	_, domain, _ := strings.Cut(sender, "@")
	for _, d := range f.cfg.BypassedSenderDomains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// stamp adds the three fields at the top of the header block.
func (f *Filter) stamp(e *agent.MessageEvent, res spf.Result, ip net.IP) {
	s := &e.Session
	host := clean(f.cfg.Hostname)
	from, helo := clean(s.Sender), clean(s.HeloName)
	e.InsertHeader(0, "Received-SPF", ReceivedSPF(host, res, ip, from, helo))
	ar := &authres.SPFResult{Value: authres.ResultValue(res), Helo: token(helo)}
	if s.Sender != "" {
		ar.From = token(from)
	}
	e.InsertHeader(0, "Authentication-Results", authres.Format(host, []authres.Result{ar}))
	e.SetHeader(ResultHeader, resultName(res))
}

// ReceivedSPF formats a Received-SPF value (RFC 7208 §9.1).
func ReceivedSPF(host string, res spf.Result, ip net.IP, from, helo string) string {
	identity, who := "mailfrom", from
	if from == "" {
		identity, who = "helo", helo
	}
	v := string(res) + " (" + host + ": " + explain(res, who, ip) + ") client-ip=" + ip.String() + ";"
	if from != "" {
		v += ` envelope-from="` + from + `";`
	}
	return v + ` helo="` + helo + `"; identity=` + identity + ";"
}

func explain(res spf.Result, who string, ip net.IP) string {
	switch res {
	case spf.Pass:
		return "domain of " + who + " designates " + ip.String() + " as permitted sender"
	case spf.Fail, spf.SoftFail:
		return "domain of " + who + " does not designate " + ip.String() + " as permitted sender"
	case spf.None:
		return "no SPF record for " + who
	}
	return string(res) + " checking " + who
}

// clean keeps a session-supplied value from breaking out of a field:
// quotes, backslashes and control characters go.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}

// token returns s if it is safe as an Authentication-Results property
// value (RFC 8601 §2.2: an address or domain of atext), else "" so the
// property is left out rather than written in a form readers misparse.
func token(s string) string {
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),:;<>[]\\", r) {
			return ""
		}
	}
	return s
}

// resultName is the reference system's spelling of a result.
func resultName(res spf.Result) string {
	switch res {
	case spf.SoftFail:
		return "SoftFail"
	case spf.TempError:
		return "TempError"
	case spf.PermError:
		return "PermError"
	}
	return strings.ToUpper(string(res[:1])) + string(res[1:])
}
