package deliver

import (
	"fmt"
	"net"
	"strings"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/protolog"
)

// Context texts of the protocol log's TLS policy lines, which explain each
// decision the way the reference system's "*" lines give the context of
// TLS negotiation.
const (
	logPolicyContext  = "TLS policy"
	logRefusedContext = "TLS policy refused the host"
)

// logPolicy notes, in a logged session, the TLS policy the host is held
// to and why; p is the connector's own policy.
func logPolicy(c net.Conn, t target, p auth.ClientPolicy) {
	if s := sessionOf(c); s != nil {
		s.Info(t.policyText(p), logPolicyContext)
	}
}

// logRefused notes in a logged session why the host's policy refused it.
func logRefused(c net.Conn, err error) {
	if s := sessionOf(c); s != nil {
		s.Info(err.Error(), logRefusedContext)
	}
}

// logRefusal logs a host refused before any connection (a failed TLSA
// lookup, an MX host an enforced MTA-STS policy does not list) as a
// session of its own with that one line, so the decision is in the log
// although no connection was made.
func (d *Deliverer) logRefusal(connectorID string, t target) {
	if connectorID == "" {
		return
	}
	s := d.opts.protoLog.Session(connectorID, protolog.NewSessionID(), "", "") // no endpoint: nothing was dialled
	s.Info(t.err.Err.Error(), logRefusedContext)
}

func sessionOf(c net.Conn) *protolog.Session {
	if lc, ok := c.(*logConn); ok {
		return lc.ls.s
	}
	return nil
}

// policyText says which policy holds for t, with what it demands.
func (t target) policyText(p auth.ClientPolicy) string {
	h := t.tp
	if h == nil {
		s := "Connector: " + describePolicy(p, t.host)
		if t.note != "" {
			s += " (" + t.note + ")"
		}
		return s
	}
	switch h.kind {
	case PolicyDANE:
		if len(h.tlsa) == 0 {
			return fmt.Sprintf("DANE: TLSA records at %s, none usable: STARTTLS required, certificate not authenticated", h.tlsaAt)
		}
		return fmt.Sprintf("DANE: %d usable TLSA record(s) at %s: STARTTLS required, certificate must match one", len(h.tlsa), h.tlsaAt)
	case PolicyMTASTS:
		return fmt.Sprintf("MTA-STS: enforced policy of %s (mx: %s): STARTTLS required, certificate must be valid for %s",
			h.domain, strings.Join(h.report.MXHosts, ", "), h.host)
	}
	s := fmt.Sprintf("MTA-STS testing: policy of %s (mx: %s): failures are reported, not enforced; connector: %s",
		h.domain, strings.Join(h.report.MXHosts, ", "), describePolicy(p, t.host))
	if h.unlisted {
		s += "; the policy does not list " + h.host
	}
	return s
}

// describePolicy renders a connector's TLS settings.
func describePolicy(p auth.ClientPolicy, host string) string {
	var s string
	switch {
	case p.IgnoreStartTLS:
		s = "no TLS (IgnoreSTARTTLS)"
	case p.RequireTLS || p.Auth == auth.SmartHostBasicAuthRequireTLS || p.Auth == auth.SmartHostExchangeServer:
		s = "STARTTLS required"
	default:
		s = "opportunistic TLS"
	}
	switch {
	case p.Auth == auth.SmartHostBasicAuthRequireTLS || p.Auth == auth.SmartHostExchangeServer:
		s += ", certificate must be valid for " + host
	case p.TLSAuthLevel == auth.DomainValidation && p.TLSDomain != "":
		s += ", certificate must be valid for " + p.TLSDomain
	case p.TLSAuthLevel != auth.TLSAuthUnset:
		s += ", TlsAuthLevel " + p.TLSAuthLevel.String()
	}
	return s
}
