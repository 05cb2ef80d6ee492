package auth

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// The expectations below are written from the reference system's smart-host
// authentication and TLS rules (BasicAuthRequireTLS and ExchangeServer need
// TLS, as does RequireTLS), independently of the helpers in policy.go.
func wantsTLS(p ClientPolicy) bool {
	return p.RequireTLS || p.Auth == SmartHostBasicAuthRequireTLS || p.Auth == SmartHostExchangeServer
}

func wantsVerify(p ClientPolicy) bool {
	return p.Auth == SmartHostBasicAuthRequireTLS || p.Auth == SmartHostExchangeServer ||
		p.TLSAuthLevel == CertificateValidation || p.TLSAuthLevel == DomainValidation
}

// allPolicies enumerates every SmartHostAuth × RequireTLS × IgnoreStartTLS ×
// TLSAuthLevel (with and without TlsDomain) × AllowPlaintextAuth.
func allPolicies() []ClientPolicy {
	var out []ClientPolicy
	for a := SmartHostNone; a <= SmartHostExternalAuthoritative; a++ {
		for _, req := range []bool{false, true} {
			for _, ign := range []bool{false, true} {
				for l := TLSAuthUnset; l <= DomainValidation; l++ {
					for _, dom := range []string{"", "*.contoso.com"} {
						for _, plain := range []bool{false, true} {
							out = append(out, ClientPolicy{
								Auth: a, RequireTLS: req, IgnoreStartTLS: ign, TLSAuthLevel: l, TLSDomain: dom,
								AllowPlaintextAuth: plain,
								Credentials:        Credentials{Username: "gw", Password: "pw"},
								ClientCert:         &tls.Certificate{},
							})
						}
					}
				}
			}
		}
	}
	return out
}

var authOffers = [][]string{nil, {"PLAIN"}, {"LOGIN"}, {"PLAIN", "LOGIN"}, {"login", "plain"}, {"CRAM-MD5", "NTLM"}}

var smartHosts = []string{"smtp.contoso.com", "127.0.0.1", "localhost"}

func TestPlanExhaustive(t *testing.T) {
	paths, valid := 0, 0
	for _, p := range allPolicies() {
		vErr := p.Validate()
		if vErr == nil {
			valid++
		}
		for _, host := range smartHosts {
			for _, startTLS := range []bool{false, true} {
				for _, offer := range authOffers {
					ext := Extensions{StartTLS: startTLS, Auth: offer}
					for bits := range 8 {
						st := ClientState{TLS: bits&1 != 0, Verified: bits&2 != 0, Authenticated: bits&4 != 0}
						paths++
						step, err := Plan(p, host, ext, st)
						if vErr != nil {
							if !errors.Is(err, ErrInvalidPolicy) {
								t.Fatalf("%+v: invalid policy planned: %v %v", p, step, err)
							}
							continue
						}
						if msg := checkStep(p, host, ext, st, step, err); msg != "" {
							t.Fatalf("policy %+v host %s ext %+v state %+v -> %+v, %v: %s", p, host, ext, st, step, err, msg)
						}
					}
				}
			}
		}
	}
	t.Logf("%d paths, %d valid policies", paths, valid)
}

// checkStep returns a description of the violated rule, or "".
func checkStep(p ClientPolicy, host string, ext Extensions, st ClientState, step Step, err error) string {
	loop := host != "smtp.contoso.com"
	creds := p.Auth == SmartHostBasicAuth || p.Auth == SmartHostBasicAuthRequireTLS
	if err != nil {
		var pe *PolicyError
		if !errors.As(err, &pe) || !pe.Temporary() {
			return "runtime failure is not a temporary *PolicyError"
		}
		switch {
		case errors.Is(err, ErrStartTLSRequired):
			if st.TLS || !wantsTLS(p) || (ext.StartTLS && !p.IgnoreStartTLS) {
				return "STARTTLS wrongly reported missing"
			}
		case errors.Is(err, ErrPlaintextAuth):
			if st.TLS || p.AllowPlaintextAuth || loop {
				return "plaintext refusal where allowed"
			}
		case errors.Is(err, ErrNoCommonMechanism):
			if ext.SupportsAuth("PLAIN") || ext.SupportsAuth("LOGIN") {
				return "common mechanism missed"
			}
		default:
			return "unexpected error"
		}
		return ""
	}
	secure := st.TLS && (st.Verified || !wantsVerify(p))
	switch step.Kind {
	case StepStartTLS:
		if st.TLS || !ext.StartTLS || p.IgnoreStartTLS {
			return "STARTTLS asked for wrongly"
		}
	case StepVerify:
		if !st.TLS || st.Verified || !wantsVerify(p) {
			return "verification asked for wrongly"
		}
	case StepAuth:
		if !creds || st.Authenticated {
			return "AUTH without credentials to send"
		}
		if wantsTLS(p) && !secure {
			return "CREDENTIALS WITHOUT TLS+VERIFICATION UNDER A TLS POLICY"
		}
		if st.TLS && !secure {
			return "credentials before the demanded certificate check"
		}
		if !st.TLS && ((ext.StartTLS && !p.IgnoreStartTLS) || !(p.AllowPlaintextAuth || loop)) {
			return "credentials in clear text"
		}
		want := "PLAIN"
		if !ext.SupportsAuth("PLAIN") {
			want = "LOGIN"
		}
		if step.Mechanism != want || !ext.SupportsAuth(want) {
			return "wrong mechanism"
		}
	case StepProceed:
		if wantsTLS(p) && !secure {
			return "proceeding without the TLS the policy requires"
		}
		if creds && !st.Authenticated {
			return "proceeding without authenticating"
		}
		if !st.TLS && ext.StartTLS && !p.IgnoreStartTLS {
			return "skipped offered STARTTLS"
		}
	default:
		return "unknown step"
	}
	return ""
}

// server models a smart host: what it offers before and after STARTTLS,
// and whether its certificate passes the client's checks.
type server struct {
	startTLS   bool
	authBefore []string
	authAfter  []string
	certOK     bool
}

// TestPlanConversations drives Plan to completion against every server model
// and records when credentials leave: never in clear text under a TLS
// policy, never before a demanded certificate check, always terminating.
func TestPlanConversations(t *testing.T) {
	var servers []server
	for _, tlsOffer := range []bool{false, true} {
		for _, before := range authOffers {
			for _, after := range authOffers {
				for _, ok := range []bool{false, true} {
					servers = append(servers, server{tlsOffer, before, after, ok})
				}
			}
		}
	}
	outcomes := map[string]int{}
	for _, p := range allPolicies() {
		if p.Validate() != nil {
			continue
		}
		for _, host := range smartHosts {
			for _, srv := range servers {
				trace, err := converseSMTP(p, host, srv)
				if err != nil {
					t.Fatalf("policy %+v host %s server %+v: %v (trace %v)", p, host, srv, err, trace)
				}
				outcomes[trace[len(trace)-1]]++
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

func converseSMTP(p ClientPolicy, host string, srv server) ([]string, error) {
	st := ClientState{}
	ext := Extensions{StartTLS: srv.startTLS, Auth: srv.authBefore}
	var trace []string
	for range 6 {
		step, err := Plan(p, host, ext, st)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) {
				return trace, fmt.Errorf("non-policy error %v", err)
			}
			return append(trace, "defer:"+pe.Step.String()), nil
		}
		trace = append(trace, step.Kind.String())
		switch step.Kind {
		case StepStartTLS:
			if !srv.startTLS {
				return trace, errors.New("STARTTLS sent to a server that did not offer it")
			}
			st.TLS = true
			ext = Extensions{Auth: srv.authAfter} // RFC 3207 §4.2: EHLO again
		case StepVerify:
			if !srv.certOK {
				return append(trace, "defer:cert"), nil
			}
			st.Verified = true
		case StepAuth:
			if wantsTLS(p) && (!st.TLS || (wantsVerify(p) && !st.Verified)) {
				return trace, errors.New("credentials sent without the TLS the policy demands")
			}
			if !st.TLS && srv.startTLS && !p.IgnoreStartTLS {
				return trace, errors.New("credentials sent in clear although STARTTLS was offered")
			}
			if !slices.ContainsFunc(ext.Auth, func(m string) bool { return m == step.Mechanism || m == lower(step.Mechanism) }) {
				return trace, errors.New("mechanism not offered")
			}
			st.Authenticated = true
		case StepProceed:
			if wantsTLS(p) && !st.TLS {
				return trace, errors.New("delivering without TLS")
			}
			return trace, nil
		}
	}
	return trace, errors.New("did not terminate")
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestPlanScenarios(t *testing.T) {
	cred := Credentials{Username: `CONTOSO\gw`, Password: "pw"}
	both := []string{"LOGIN", "PLAIN"}
	// seeds/000 and 001: BasicAuthRequireTLS to Hub1.FourthCoffee.com.
	p := ClientPolicy{Auth: SmartHostBasicAuthRequireTLS, Credentials: cred}
	steps := []struct {
		ext  Extensions
		st   ClientState
		want Step
	}{
		{Extensions{StartTLS: true}, ClientState{}, Step{Kind: StepStartTLS}},
		{Extensions{Auth: both}, ClientState{TLS: true}, Step{Kind: StepVerify, VerifyName: "hub1.fourthcoffee.com", VerifyLevel: DomainValidation}},
		{Extensions{Auth: both}, ClientState{TLS: true, Verified: true}, Step{Kind: StepAuth, Mechanism: "PLAIN"}},
		{Extensions{Auth: both}, ClientState{TLS: true, Verified: true, Authenticated: true}, Step{Kind: StepProceed}},
	}
	for i, s := range steps {
		got, err := Plan(p, "hub1.fourthcoffee.com.", s.ext, s.st)
		if err != nil || !stepEqual(got, s.want) {
			t.Fatalf("step %d: %+v %v, want %+v", i, got, err, s.want)
		}
	}
	// BasicAuth + RequireTLS (confidentiality only): no verification.
	p = ClientPolicy{Auth: SmartHostBasicAuth, Credentials: cred, RequireTLS: true}
	if got, err := Plan(p, "hub1", Extensions{Auth: []string{"LOGIN"}}, ClientState{TLS: true}); err != nil || got.Kind != StepAuth || got.Mechanism != "LOGIN" {
		t.Fatalf("BasicAuth+RequireTLS after TLS: %+v %v", got, err)
	}
	// DomainValidation with TlsDomain reports the name to check.
	p = ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "*.contoso.com"}
	if got, _ := Plan(p, "mx", Extensions{}, ClientState{TLS: true}); got.VerifyName != "*.contoso.com" || got.VerifyLevel != DomainValidation {
		t.Fatalf("domain validation step %+v", got)
	}
	// RequireTLS against a server without STARTTLS defers.
	_, err := Plan(ClientPolicy{RequireTLS: true}, "mx", Extensions{}, ClientState{})
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Step != StepStartTLS || !errors.Is(err, ErrStartTLSRequired) {
		t.Fatalf("RequireTLS without STARTTLS: %v", err)
	}
}

func stepEqual(a, b Step) bool { return a == b }

func TestStepKindString(t *testing.T) {
	for k, want := range map[StepKind]string{StepStartTLS: "STARTTLS", StepVerify: "VERIFY", StepAuth: "AUTH", StepProceed: "PROCEED", 0: "StepKind(0)", 9: "StepKind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q", k, got)
		}
	}
}
