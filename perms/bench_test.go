package perms

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// realisticHeader is a 30-field header as a hub sees it from another hub:
// a Received chain, MIME fields and organization/forest stamps.
func realisticHeader() string {
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "Received: from hub%d.contoso.com (10.0.0.%d) by hub%d.contoso.com\r\n"+
			" (10.0.0.%d) with Microsoft SMTP Server (TLS) id 15.2.1544.4;\r\n"+
			" Mon, 1 Jan 2024 10:00:%02d +0000\r\n", i+1, i+1, i+2, i+2, i)
	}
	b.WriteString("From: Alice Example <alice@example.net>\r\n" +
		"To: Carol <carol@contoso.com>, Dave <dave@contoso.com>\r\n" +
		"Cc: team@contoso.com\r\n" +
		"Subject: Quarterly report: figures, charts and the long discussion\r\n" +
		"Date: Mon, 1 Jan 2024 09:59:00 +0000\r\n" +
		"Message-ID: <abc123.456@mail.example.net>\r\n" +
		"In-Reply-To: <prev.789@mail.contoso.com>\r\n" +
		"References: <first.1@mail.contoso.com> <prev.789@mail.contoso.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed;\r\n boundary=\"----=_Part_1234_5678.1704103140000\"\r\n" +
		"Thread-Topic: Quarterly report\r\n" +
		"Thread-Index: AdoE1234567890abcdefABCDEF==\r\n" +
		"Accept-Language: en-US\r\n" +
		"Content-Language: en-US\r\n" +
		"X-MS-Has-Attach: yes\r\n" +
		"X-Mailer: Example Mail 1.0\r\n" +
		"X-MS-Exchange-Organization-SCL: -1\r\n" +
		"X-MS-Exchange-Organization-AuthAs: Internal\r\n" +
		"X-MS-Exchange-Organization-AuthMechanism: 04\r\n" +
		"X-MS-Exchange-Organization-AuthSource: hub1.contoso.com\r\n" +
		"X-MS-Exchange-Organization-OriginalArrivalTime: 01 Jan 2024 10:00:00.0000 (UTC)\r\n" +
		"X-MS-Exchange-Organization-Network-Message-Id: 0f0e0d0c-0b0a-0908-0706-050403020100\r\n" +
		"X-MS-Exchange-Forest-RulesExecuted: hub1\r\n" +
		"X-MS-Exchange-Forest-IndexAgent: 1 2345\r\n" +
		"\r\n")
	return b.String()
}

// BenchmarkFilterSend streams a 30-field message with a 1 MiB body through
// the firewall as an Internet send connector does (routing kept,
// organization and forest removed).
func BenchmarkFilterSend(b *testing.B) {
	hdr := realisticHeader()
	msg := append([]byte(hdr), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 1<<20/64)...)
	for _, bc := range []struct {
		name   string
		rights Right
		strip  int
	}{
		{"internet", SendRoutingHeaders, 8},
		{"internal", SendRights, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			src := bytes.NewReader(msg)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(msg)
				removed, err := Filter(io.Discard, src, Send, bc.rights)
				if err != nil || len(removed) != bc.strip {
					b.Fatalf("removed %d, err %v", len(removed), err)
				}
			}
		})
	}
}

// BenchmarkACLRights is the per-session effective-rights lookup.
func BenchmarkACLRights(b *testing.B) {
	var a ACL
	a.AddGroups(AnonymousUsers | ExchangeUsers | ExchangeServers | Partners)
	a.Add(`CONTOSO\Scanner`, AcceptAnyRecipient)
	b.ReportAllocs()
	for b.Loop() {
		a.Rights(`contoso\scanner`, AuthenticatedUsers)
	}
}

// BenchmarkFilterSmall streams the same header with a 4 KiB body, where
// the header work shows, through Filter and through oracleFilter (the
// go-message implementation Filter replaced), for a figure before and after
// in one run.
func BenchmarkFilterSmall(b *testing.B) {
	msg := append([]byte(realisticHeader()), bytes.Repeat([]byte(strings.Repeat("b", 62)+"\r\n"), 64)...)
	for _, impl := range []struct {
		name   string
		filter func(io.Writer, io.Reader, Direction, Right) ([]Removed, error)
	}{
		{"scan", defaultFirewall.Filter},
		{"textproto", func(w io.Writer, r io.Reader, d Direction, rights Right) ([]Removed, error) {
			return oracleFilter(nil, w, r, d, rights)
		}},
	} {
		for _, bc := range []struct {
			name   string
			rights Right
			strip  int
		}{
			{"internet", SendRoutingHeaders, 8},
			{"internal", SendRights, 0},
		} {
			b.Run(impl.name+"/"+bc.name, func(b *testing.B) {
				src := bytes.NewReader(msg)
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for b.Loop() {
					src.Reset(msg)
					removed, err := impl.filter(io.Discard, src, Send, bc.rights)
					if err != nil || len(removed) != bc.strip {
						b.Fatalf("removed %d, err %v", len(removed), err)
					}
				}
			})
		}
	}
}
