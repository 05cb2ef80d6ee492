package mxtest

import (
	"crypto/x509"
	"fmt"

	"github.com/miekg/dns"
)

// TLSA is a DANE record (RFC 6698) for name, usually "_25._tcp.<mx host>",
// computed from cert with the given usage, selector and matching type
// (miekg/dns's TLSA.Sign). Pass the CA for a DANE-TA(2) record, the leaf
// for DANE-EE(3).
func TLSA(name string, usage, selector, matching uint8, cert *x509.Certificate) Record {
	rr := &dns.TLSA{Hdr: header(name, dns.TypeTLSA)}
	if err := rr.Sign(int(usage), int(selector), int(matching), cert); err != nil {
		return Record{name: canonical(name), err: fmt.Errorf("mxtest: TLSA %s: %w", name, err)}
	}
	return newRecord(rr)
}
