package mxtest

import (
	"crypto"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// SOA is the start-of-authority record of a zone apex. With it the DNS
// server puts the SOA in the authority section of the zone's negative
// answers (RFC 2308), as validating resolvers expect.
func SOA(apex string) Record {
	return newRecord(&dns.SOA{Hdr: header(apex, dns.TypeSOA), Ns: canonical("ns." + apex), Mbox: canonical("hostmaster." + apex),
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: defaultTTL})
}

// SignedZone is a DNSSEC-signed zone (RFC 4033-4035) for the DNS server:
// a single ECDSA P-256 key signs every RRset, and an NSEC chain proves
// what does not exist. Give Records to NewDNS or DNS.Add, and TrustAnchor
// to a validating resolver (see StartUnbound).
type SignedZone struct {
	apex  string
	key   *dns.DNSKEY
	priv  crypto.Signer
	recs  []Record
	bogus map[string]bool // "owner type" whose signature is to be broken
}

// NewSignedZone builds the zone apex from records (owned by apex or names
// under it), adding an SOA, an NS and the DNSKEY. It calls t.Fatalf if a
// record is malformed or the key cannot be made.
func NewSignedZone(t TB, apex string, records ...Record) *SignedZone {
	t.Helper()
	z := &SignedZone{apex: canonical(apex), bogus: map[string]bool{}}
	z.key = &dns.DNSKEY{Hdr: header(apex, dns.TypeDNSKEY), Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := z.key.Generate(256)
	if err != nil {
		t.Fatalf("mxtest: DNSSEC key: %v", err)
	}
	z.priv = priv.(crypto.Signer)
	z.recs = append(z.recs, SOA(apex), newRecord(&dns.NS{Hdr: header(apex, dns.TypeNS), Ns: canonical("ns." + apex)}), newRecord(z.key))
	for _, r := range records {
		if r.err != nil {
			t.Fatalf("%v", r.err)
		}
		if r.rr == nil {
			t.Fatalf("mxtest: signed zone %s: faults cannot be signed", apex)
		}
		z.recs = append(z.recs, r)
	}
	return z
}

// TrustAnchor returns the zone's key as a DNSKEY record in presentation
// format, the trust anchor a validating resolver is configured with.
func (z *SignedZone) TrustAnchor() string { return z.key.String() }

// Apex returns the zone's apex, a fully qualified name ("fabrikam.com.").
func (z *SignedZone) Apex() string { return z.apex }

// Bogus breaks the signature over the rrtype records of name, so a
// validating resolver finds them bogus and answers SERVFAIL.
func (z *SignedZone) Bogus(name string, rrtype uint16) {
	z.bogus[canonical(name)+" "+dns.TypeToString[rrtype]] = true
}

// Records signs the zone and returns its records: the data, RRSIGs valid
// from an hour ago for a week, and the NSEC chain with its signatures.
// It calls t.Fatalf if signing fails.
func (z *SignedZone) Records(t TB) []Record {
	t.Helper()
	sets := map[string][]dns.RR{} // "owner type" -> RRset
	types := map[string][]uint16{}
	for _, r := range z.recs {
		h := r.rr.Header()
		k := h.Name + " " + dns.TypeToString[h.Rrtype]
		if len(sets[k]) == 0 {
			types[h.Name] = append(types[h.Name], h.Rrtype)
		}
		sets[k] = append(sets[k], dns.Copy(r.rr))
	}
	owners := make([]string, 0, len(types))
	for o := range types {
		owners = append(owners, o)
	}
	slices.SortFunc(owners, canonicalCompare)
	for i, o := range owners {
		next := owners[(i+1)%len(owners)]
		nsec := &dns.NSEC{Hdr: dns.RR_Header{Name: o, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: defaultTTL},
			NextDomain: next, TypeBitMap: append(slices.Clone(types[o]), dns.TypeRRSIG, dns.TypeNSEC)}
		slices.Sort(nsec.TypeBitMap)
		sets[o+" NSEC"] = []dns.RR{nsec}
	}
	keys := make([]string, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	now := time.Now()
	var out []Record
	for _, k := range keys {
		set := sets[k]
		sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: set[0].Header().Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: set[0].Header().Ttl},
			Algorithm: z.key.Algorithm, KeyTag: z.key.KeyTag(), SignerName: z.apex,
			Inception: uint32(now.Add(-time.Hour).Unix()), Expiration: uint32(now.Add(7 * 24 * time.Hour).Unix())}
		if err := sig.Sign(z.priv, set); err != nil {
			t.Fatalf("mxtest: signing %s: %v", k, err)
		}
		if z.bogus[k] {
			sig.Signature = flipSignature(sig.Signature)
		}
		for _, rr := range set {
			out = append(out, newRecord(rr))
		}
		out = append(out, newRecord(sig))
	}
	return out
}

// flipSignature changes one character of a base64 signature, keeping it
// valid base64 but wrong.
func flipSignature(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// canonicalCompare orders names as RFC 4034 §6.1 does: label by label
// from the root, each compared as lower-case bytes.
func canonicalCompare(a, b string) int {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	slices.Reverse(la)
	slices.Reverse(lb)
	for i := 0; i < len(la) && i < len(lb); i++ {
		if c := strings.Compare(strings.ToLower(la[i]), strings.ToLower(lb[i])); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// negativeAuthority adds what a DNSSEC-aware authoritative server puts in
// the authority section of a negative answer for name in the zone of an
// SOA: the SOA, the NSEC records proving the denial, and with do their
// signatures. The caller holds d.mu.
func (d *DNS) negativeAuthority(resp *dns.Msg, name string, nx, do bool) {
	apex := ""
	for n := name; ; {
		if len(matching(d.data[n], dns.TypeSOA)) > 0 {
			apex = n
			break
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			return
		}
		n = n[i:]
	}
	resp.Ns = append(resp.Ns, matching(d.data[apex], dns.TypeSOA)...)
	if !do {
		return
	}
	resp.Ns = append(resp.Ns, d.sigsFor(apex, dns.TypeSOA)...)
	var proofs []string
	if !nx {
		proofs = append(proofs, name)
	} else {
		proofs = append(proofs, d.coveringNSEC(name, apex), d.coveringNSEC("*."+d.closestEncloser(name, apex), apex))
	}
	seen := map[string]bool{}
	for _, owner := range proofs {
		if owner == "" || seen[owner] {
			continue
		}
		seen[owner] = true
		resp.Ns = append(resp.Ns, matching(d.data[owner], dns.TypeNSEC)...)
		resp.Ns = append(resp.Ns, d.sigsFor(owner, dns.TypeNSEC)...)
	}
}

// closestEncloser returns the longest existing ancestor of name (RFC
// 5155 §1.3's term), whose wildcard a denial of name must also deny: the
// apex, or an empty non-terminal such as "_tcp.mx.example." below it.
func (d *DNS) closestEncloser(name, apex string) string {
	for n := name; n != apex; {
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		if n = n[i:]; d.exists(n) {
			return n
		}
	}
	return apex
}

// coveringNSEC returns the owner of the NSEC record in apex's zone whose
// span covers name (owner < name < next, or the last one wrapping).
func (d *DNS) coveringNSEC(name, apex string) string {
	for owner, recs := range d.data {
		if owner != apex && !strings.HasSuffix(owner, "."+apex) {
			continue
		}
		for _, rr := range matching(recs, dns.TypeNSEC) {
			next := rr.(*dns.NSEC).NextDomain
			after, before := canonicalCompare(owner, name) < 0, canonicalCompare(name, next) < 0
			wraps := canonicalCompare(next, owner) <= 0
			if after && before || wraps && (after || before) {
				return owner
			}
		}
	}
	return ""
}

// sigsFor returns copies of the RRSIGs at name covering rrtype.
func (d *DNS) sigsFor(name string, rrtype uint16) []dns.RR {
	var out []dns.RR
	for _, r := range d.data[name] {
		if s, ok := r.rr.(*dns.RRSIG); ok && s.TypeCovered == rrtype {
			out = append(out, dns.Copy(s))
		}
	}
	return out
}
