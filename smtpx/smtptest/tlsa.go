package smtptest

import "crypto/tls"

// ChainCertificate is Certificate with the CA certificate appended to the
// chain the server sends, as DANE-TA(2) needs (RFC 7671 §5.2.2: the
// trust anchor must be in the chain).
func (p *PKI) ChainCertificate(names ...string) tls.Certificate {
	p.t.Helper()
	c := p.Certificate(names...)
	c.Certificate = append(c.Certificate, p.cert.Raw)
	return c
}
