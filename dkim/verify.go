package dkim

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/hubedge/hubedge/agent"
)

// Verifier checks DKIM signatures on received mail. As an agent it
// removes forged Authentication-Results at end of headers and stamps its
// own at end of data; register it before agents that stamp
// Authentication-Results themselves (the Sender ID agent).
type Verifier struct {
	// Hostname is this server's authserv-id in Authentication-Results.
	Hostname string
	// Resolver looks up the public keys (net.DefaultResolver if nil).
	Resolver interface {
		LookupTXT(ctx context.Context, name string) ([]string, error)
	}
	// MaxVerifications bounds the signatures checked per message (5 if 0).
	MaxVerifications int
}

var (
	_ agent.EndOfHeadersAgent = (*Verifier)(nil)
	_ agent.EndOfDataAgent    = (*Verifier)(nil)
)

// Verify checks every DKIM-Signature of the message read from r.
func (v *Verifier) Verify(ctx context.Context, r io.Reader) ([]*msgdkim.Verification, error) {
	var res interface {
		LookupTXT(ctx context.Context, name string) ([]string, error)
	} = net.DefaultResolver
	if v.Resolver != nil {
		res = v.Resolver
	}
	max := v.MaxVerifications
	if max <= 0 {
		max = 5
	}
	vs, err := msgdkim.VerifyWithOptions(r, &msgdkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return res.LookupTXT(ctx, name) },
		MaxVerifications: max,
	})
	if err != nil {
		return vs, fmt.Errorf("dkim: verify: %w", err)
	}
	return vs, nil
}

// Results turns verifications into Authentication-Results entries: pass,
// fail (a bad signature or key), temperror (DNS), permerror (a malformed
// signature); none when there was no signature.
func Results(vs []*msgdkim.Verification) []authres.Result {
	if len(vs) == 0 {
		return []authres.Result{&authres.DKIMResult{Value: authres.ResultNone}}
	}
	out := make([]authres.Result, 0, len(vs))
	for _, v := range vs {
		r := &authres.DKIMResult{Value: authres.ResultPass, Domain: token(v.Domain), Identifier: token(v.Identifier)}
		switch {
		case v.Err == nil:
		case msgdkim.IsTempFail(v.Err):
			r.Value = authres.ResultTempError
		case msgdkim.IsPermFail(v.Err):
			r.Value = authres.ResultPermError
		default:
			r.Value = authres.ResultFail
		}
		if v.Err != nil {
			r.Reason = reason(v.Err)
		}
		out = append(out, r)
	}
	return out
}

// reason keeps an error's text safe inside a quoted property value.
func reason(err error) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, err.Error())
}

// token returns s if it can stand unquoted as a property value, else "".
func token(s string) string {
	for _, r := range s {
		if r <= ' ' || r > 0x7e || strings.ContainsRune("\"(),:;<>[]\\", r) {
			return ""
		}
	}
	return s
}

// OnEndOfHeaders removes Authentication-Results fields carrying this
// server's authserv-id: only this server may write them, so any already
// there were forged upstream. Trusted (internal, authenticated) senders
// keep theirs.
func (v *Verifier) OnEndOfHeaders(_ context.Context, e *agent.MessageEvent) error {
	if e.Bypassed() {
		return nil
	}
	n := 0
	for _, f := range e.Header {
		if !strings.EqualFold(f.Name, "Authentication-Results") {
			continue
		}
		n++
		if id, _, _ := strings.Cut(strings.TrimSpace(f.Value), ";"); strings.EqualFold(strings.TrimSpace(id), v.Hostname) {
			e.ChangeHeader(f.Name, n, "")
			n-- // the next one of the name moves into this place
		}
	}
	return nil
}

// OnEndOfData verifies the signatures and stamps the result at the top.
func (v *Verifier) OnEndOfData(ctx context.Context, e *agent.MessageEvent) error {
	var head strings.Builder
	for _, f := range e.Header {
		head.WriteString(f.Name + ":" + f.Value + "\r\n")
	}
	head.WriteString("\r\n")
	var body io.Reader = strings.NewReader("")
	if e.Body != nil {
		body = e.Body
	}
	vs, err := v.Verify(ctx, io.MultiReader(strings.NewReader(head.String()), body))
	results := Results(vs)
	if err != nil && len(vs) == 0 {
		// An unparsable header block: say so rather than fail the mail.
		results = []authres.Result{&authres.DKIMResult{Value: authres.ResultPermError, Reason: reason(err)}}
	}
	e.InsertHeader(0, "Authentication-Results", authres.Format(v.Hostname, results))
	return nil
}
