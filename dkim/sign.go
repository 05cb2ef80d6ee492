package dkim

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"
)

// Key is a signing key of one domain.
type Key struct {
	Domain   string // d=, the organization domain
	Selector string // s=; the public key is at <Selector>._domainkey.<Domain>
	// Signer is an *rsa.PrivateKey (2048 bits advised) or an
	// ed25519.PrivateKey.
	Signer crypto.Signer
	// HeaderKeys are the fields signed; empty signs the library's
	// recommended set (From, To, Subject, Date, Message-ID, ...).
	HeaderKeys []string
	// Expiration, if set, bounds the signature's validity (x=).
	Expiration time.Duration
}

// Signer signs messages with the key of their From domain.
type Signer struct {
	keys map[string]Key
	now  func() time.Time
}

// ErrNoFrom is returned by Signature for a message without a usable From.
var ErrNoFrom = errors.New("dkim: message has no From address")

// NewSigner checks the keys and returns a Signer.
func NewSigner(keys ...Key) (*Signer, error) {
	s := &Signer{keys: make(map[string]Key, len(keys)), now: time.Now}
	for _, k := range keys {
		d := strings.ToLower(strings.TrimSuffix(k.Domain, "."))
		switch k.Signer.(type) {
		case *rsa.PrivateKey, ed25519.PrivateKey: // Go refuses RSA keys under 1024 bits itself
		default:
			return nil, fmt.Errorf("dkim: %s: key type %T, want RSA or Ed25519", d, k.Signer)
		}
		if d == "" || k.Selector == "" {
			return nil, fmt.Errorf("dkim: key without domain or selector (%q, %q)", k.Domain, k.Selector)
		}
		if _, dup := s.keys[d]; dup {
			return nil, fmt.Errorf("dkim: two keys for %s", d)
		}
		k.Domain = d
		s.keys[d] = k
	}
	return s, nil
}

// KeyFor returns the key for mail from addr: the key of its domain or of
// the closest parent domain that has one.
func (s *Signer) KeyFor(addr string) (Key, bool) {
	_, d, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return Key{}, false
	}
	for d = strings.TrimSuffix(d, "."); d != ""; {
		if k, ok := s.keys[d]; ok {
			return k, true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = rest
	}
	return Key{}, false
}

// Signature reads a whole message (header and body, CRLF line ends) and
// returns the DKIM-Signature field to put before it, with its final
// CRLF. ok is false, with no error, when no key covers the From domain.
func (s *Signer) Signature(msg io.Reader) (field string, ok bool, err error) {
	// Everything read while looking for From is kept and signed too.
	var seen bytes.Buffer
	from, err := fromOf(io.TeeReader(msg, &seen))
	if err != nil {
		return "", false, err
	}
	k, found := s.KeyFor(from)
	if !found {
		return "", false, nil
	}
	opts := &msgdkim.SignOptions{Domain: k.Domain, Selector: k.Selector, Signer: k.Signer, HeaderKeys: k.HeaderKeys,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed}
	if k.Expiration > 0 {
		opts.Expiration = s.now().Add(k.Expiration)
	}
	sg, err := msgdkim.NewSigner(opts)
	if err != nil {
		return "", false, fmt.Errorf("dkim: %w", err)
	}
	_, err = io.Copy(sg, io.MultiReader(&seen, msg))
	if cerr := sg.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", false, fmt.Errorf("dkim: signing: %w", err)
	}
	return sg.Signature(), true, nil
}

// fromOf reads the header block from r and returns the From address.
func fromOf(r io.Reader) (string, error) {
	h, err := textproto.NewReader(bufio.NewReader(r)).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return "", fmt.Errorf("%w: %v", ErrNoFrom, err)
	}
	list, err := mail.ParseAddressList(h.Get("From"))
	if err != nil || len(list) == 0 {
		return "", ErrNoFrom
	}
	return list[0].Address, nil
}

// KeyRecord returns the TXT record to publish at
// <selector>._domainkey.<domain> for pub (an *rsa.PublicKey or
// ed25519.PublicKey), split into strings of at most 255 bytes as DNS
// requires.
func KeyRecord(pub crypto.PublicKey) ([]string, error) {
	var txt string
	switch k := pub.(type) {
	case ed25519.PublicKey:
		txt = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("dkim: %w", err)
		}
		txt = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	default:
		return nil, fmt.Errorf("dkim: key type %T, want RSA or Ed25519", pub)
	}
	var parts []string
	for len(txt) > 255 {
		parts, txt = append(parts, txt[:255]), txt[255:]
	}
	return append(parts, txt), nil
}
