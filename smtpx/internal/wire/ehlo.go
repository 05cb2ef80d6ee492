package wire

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// ParseEHLO parses the text of a 250 EHLO reply as ReadReplyText returns
// it (lines joined by "\n", codes removed): the first line is the server's
// greeting, each further line an extension keyword (upper-cased) with its
// parameters (RFC 5321 §4.1.1.1). Empty lines are skipped; a repeated
// keyword keeps its first parameters.
func ParseEHLO(msg string) map[string]string {
	lines := strings.Split(msg, "\n")
	ext := make(map[string]string, len(lines))
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		kw, params, _ := strings.Cut(line, " ")
		kw = strings.ToUpper(kw)
		if _, dup := ext[kw]; !dup {
			ext[kw] = strings.TrimSpace(params)
		}
	}
	return ext
}

// Offer is what a server lists in its reply to EHLO (RFC 5321 §4.1.1.1)
// and what a client reads from it (OfferOf): one description of the
// service extensions for both ends.
type Offer struct {
	// Domain and Remote make the greeting line, "Domain Hello [Remote]"
	// (Remote left out when it is the zero Addr).
	Domain string
	Remote netip.Addr
	// Ext: the extensions whose MAIL and RCPT parameters are allowed;
	// each is listed (ExtSize as SIZE, ExtAuth as AUTH when Auth names a
	// mechanism).
	Ext Ext
	// MaxSize is SIZE's limit (RFC 1870); 0 lists SIZE without one.
	MaxSize             int64
	Pipelining          bool     // RFC 2920
	EnhancedStatusCodes bool     // RFC 2034
	StartTLS            bool     // RFC 3207
	Auth                []string // RFC 4954 mechanisms
	Chunking            bool     // RFC 3030
	RcptMax             int      // RFC 9422 LIMITS RCPTMAX=; 0 leaves LIMITS out
}

// AppendEHLO appends the 250 reply to EHLO: the greeting on the first line,
// then the keywords in the reference system's order: SIZE, PIPELINING,
// DSN, ENHANCEDSTATUSCODES, STARTTLS, AUTH, 8BITMIME, BINARYMIME,
// CHUNKING, LIMITS, REQUIRETLS, SMTPUTF8.
func AppendEHLO(b []byte, o Offer) []byte {
	start := len(b)
	b = append(b, "250-"...)
	b = append(b, o.Domain...)
	if o.Remote.IsValid() {
		b = append(b, " Hello ["...)
		b = o.Remote.AppendTo(b)
		b = append(b, ']')
	}
	b = append(b, "\r\n"...)
	if o.Ext&ExtSize != 0 {
		b = append(b, "250-SIZE"...)
		if o.MaxSize > 0 {
			b = append(b, ' ')
			b = strconv.AppendInt(b, o.MaxSize, 10)
		}
		b = append(b, "\r\n"...)
	}
	b = keyword(b, o.Pipelining, "PIPELINING")
	b = keyword(b, o.Ext&ExtDSN != 0, "DSN")
	b = keyword(b, o.EnhancedStatusCodes, "ENHANCEDSTATUSCODES")
	b = keyword(b, o.StartTLS, "STARTTLS")
	if o.Ext&ExtAuth != 0 && len(o.Auth) > 0 {
		b = append(b, "250-AUTH"...)
		for _, m := range o.Auth {
			b = append(b, ' ')
			b = append(b, m...)
		}
		b = append(b, "\r\n"...)
	}
	b = keyword(b, o.Ext&Ext8BitMIME != 0, "8BITMIME")
	b = keyword(b, o.Ext&ExtBinaryMIME != 0, "BINARYMIME")
	b = keyword(b, o.Chunking, "CHUNKING")
	if o.RcptMax > 0 {
		b = append(b, "250-LIMITS RCPTMAX="...)
		b = strconv.AppendInt(b, int64(o.RcptMax), 10)
		b = append(b, "\r\n"...)
	}
	b = keyword(b, o.Ext&ExtRequireTLS != 0, "REQUIRETLS")
	b = keyword(b, o.Ext&ExtSMTPUTF8 != 0, "SMTPUTF8")
	// The last line takes "250 " (RFC 5321 §4.2.1).
	last := start
	if i := bytes.LastIndex(b[start:len(b)-2], []byte("\r\n250-")); i >= 0 {
		last += i + 2
	}
	b[last+3] = ' '
	return b
}

func keyword(b []byte, on bool, kw string) []byte {
	if !on {
		return b
	}
	b = append(b, "250-"...)
	b = append(b, kw...)
	return append(b, "\r\n"...)
}

// paramKeywords are the EHLO keywords of the extensions in Ext.
var paramKeywords = [...]struct {
	keyword string
	ext     Ext
}{{"SIZE", ExtSize}, {"8BITMIME", Ext8BitMIME}, {"BINARYMIME", ExtBinaryMIME}, {"SMTPUTF8", ExtSMTPUTF8},
	{"DSN", ExtDSN}, {"AUTH", ExtAuth}, {"REQUIRETLS", ExtRequireTLS}}

// OfferOf reads what a server offers from the keywords of its EHLO reply
// (ParseEHLO's result). A SIZE parameter that is not a positive number
// reads as no limit.
func OfferOf(ext map[string]string) Offer {
	var o Offer
	for _, k := range paramKeywords {
		if _, ok := ext[k.keyword]; ok {
			o.Ext |= k.ext
		}
	}
	if n, err := strconv.ParseInt(ext["SIZE"], 10, 64); err == nil && n > 0 {
		o.MaxSize = n
	}
	_, o.Pipelining = ext["PIPELINING"]
	_, o.EnhancedStatusCodes = ext["ENHANCEDSTATUSCODES"]
	_, o.StartTLS = ext["STARTTLS"]
	_, o.Chunking = ext["CHUNKING"]
	if mechs := strings.Fields(ext["AUTH"]); len(mechs) > 0 {
		o.Auth = mechs
	}
	if limits, ok := ext["LIMITS"]; ok {
		for _, l := range strings.Fields(limits) {
			if v, ok := strings.CutPrefix(strings.ToUpper(l), "RCPTMAX="); ok {
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					o.RcptMax = n
				}
			}
		}
	}
	return o
}
