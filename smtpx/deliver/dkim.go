package deliver

import (
	"bytes"
	"io"
	"strings"

	"github.com/hubedge/hubedge/dkim"
	"github.com/hubedge/hubedge/perms"
)

// dkimSigning is WithDKIM's setting.
type dkimSigning struct {
	signer *dkim.Signer
	only   map[string]bool // lower-case connector names; empty: all
}

// WithDKIM signs what leaves through the named send connectors (every
// connector when none is named) with s, which picks the key of the From
// domain; a message from a domain s has no key for leaves unsigned. The
// signature is made after the send-side header firewall, over the message
// exactly as it is sent, so the fields the firewall strips cannot break
// it. A signed message is held in memory while it is signed.
func WithDKIM(s *dkim.Signer, connectors ...string) Option {
	return funcOption(func(o *options) {
		d := &dkimSigning{signer: s, only: map[string]bool{}}
		for _, n := range connectors {
			d.only[strings.ToLower(n)] = true
		}
		o.dkim = d
	})
}

// filter writes the message through the send-side header firewall to w,
// signed first when the hop's connector signs.
func (t *txn) filter(w io.Writer, body io.Reader) ([]perms.Removed, error) {
	d := t.d.opts.dkim
	if d == nil || len(d.only) > 0 && !d.only[strings.ToLower(t.hop.Connector)] {
		return t.d.fw.Filter(w, body, perms.Send, t.rights)
	}
	var msg bytes.Buffer
	removed, err := t.d.fw.Filter(&msg, body, perms.Send, t.rights)
	if err != nil {
		return nil, err // nothing written yet: a header error stays one
	}
	field, ok, err := d.signer.Signature(bytes.NewReader(msg.Bytes()))
	if err != nil {
		// Unsigned mail still goes: a receiver treats it as it treats
		// any unsigned message, which is better than holding it.
		t.d.opts.logger.Warn("deliver: DKIM signing failed; sent unsigned", "id", t.msg.ID, "err", err)
	}
	if ok && err == nil {
		if _, err := io.WriteString(w, field); err != nil {
			return removed, err
		}
	}
	_, err = w.Write(msg.Bytes())
	return removed, err
}
