package perms

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// FuzzFilter streams arbitrary messages through the firewall and checks,
// with textproto as the oracle: no panic; no field of a forbidden class
// survives; every other field survives in order with its raw bytes; the
// body is unchanged.
func FuzzFilter(f *testing.F) {
	f.Add([]byte(sampleHeader+sampleBody), uint32(0), false)
	f.Add([]byte(sampleHeader+sampleBody), uint32(AcceptRoutingHeaders), false)
	f.Add([]byte(sampleHeader+sampleBody), uint32(SendOrganizationHeaders|SendForestHeaders), true)
	f.Add([]byte("Received : x\r\n y\r\nresent-cc: a\n\nbody"), uint32(0), true)
	f.Add([]byte("X-MS-Exchange-Forest-A: 1\r\n"), uint32(AllRights), false)
	f.Add([]byte("no colon\r\n\r\n"), uint32(0), false)
	f.Add([]byte(": empty key\r\nTo: a\r\n\r\n\r\n.\r\n"), uint32(0), false)
	f.Add([]byte(""), uint32(0), true)
	f.Fuzz(func(t *testing.T, msg []byte, rights uint32, send bool) {
		d := Receive
		if send {
			d = Send
		}
		var out bytes.Buffer
		removed, err := Filter(&out, bytes.NewReader(msg), d, Right(rights))
		if err != nil {
			if out.Len() != 0 {
				t.Fatalf("wrote %d bytes before failing: %v", out.Len(), err)
			}
			return
		}
		keep := Allowed(d, Right(rights))

		inHdr, inBody := splitMessage(t, msg)
		outHdr, outBody := splitMessage(t, out.Bytes())
		if !bytes.Equal(inBody, outBody) {
			t.Fatalf("body changed:\n in %q\nout %q", inBody, outBody)
		}
		var want [][]byte
		nRemoved := 0
		for fs := inHdr.Fields(); fs.Next(); {
			if c, ok := naiveClass(fs.Key()); ok && keep&c == 0 {
				nRemoved++
				continue
			}
			raw, _ := fs.Raw()
			want = append(want, raw)
		}
		if nRemoved != len(removed) {
			t.Fatalf("removed %d fields, reported %d", nRemoved, len(removed))
		}
		i := 0
		for fs := outHdr.Fields(); fs.Next(); i++ {
			if c, ok := naiveClass(fs.Key()); ok && keep&c == 0 {
				t.Fatalf("forbidden %v field %q survived", c, fs.Key())
			}
			raw, _ := fs.Raw()
			if i >= len(want) || !bytes.Equal(raw, want[i]) {
				t.Fatalf("field %d = %q, want one of %q", i, raw, want)
			}
		}
		if i != len(want) {
			t.Fatalf("%d fields out, want %d", i, len(want))
		}
	})
}

// naiveClass is an independent, obviously correct ClassOf for the default
// prefixes, so the fuzz target does not check ClassOf against itself.
func naiveClass(key string) (Class, bool) {
	k := strings.ToLower(strings.TrimSpace(key))
	switch {
	case k == "received", strings.HasPrefix(k, "resent-"):
		return Routing, true
	case strings.HasPrefix(k, "x-ms-exchange-organization-"):
		return Organization, true
	case strings.HasPrefix(k, "x-ms-exchange-forest-"):
		return Forest, true
	}
	return 0, false
}

// splitMessage parses msg's header block and returns the rest unparsed.
func splitMessage(t *testing.T, msg []byte) (textproto.Header, []byte) {
	br := bufio.NewReader(bytes.NewReader(msg))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatalf("oracle cannot parse %q: %v", msg, err)
	}
	rest, _ := io.ReadAll(br)
	return h, rest
}

// FuzzParseRights checks that parsing never panics, yields only defined
// rights, and that String parses back to the same set. Group parsing rides
// along since it follows the same grammar.
func FuzzParseRights(f *testing.F) {
	f.Add("ms-Exch-SMTP-Submit, ms-Exch-Accept-Headers-Routing")
	f.Add(`"MS-EXCH-SEND-HEADERS-FOREST",,None`)
	f.Add("ms-Exch-Accept-Exch50")
	f.Add("AnonymousUsers, ExchangeServers")
	f.Add("bogus")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRights(s); err == nil {
			if r&^AllRights != 0 {
				t.Fatalf("ParseRights(%q) = undefined bits %#x", s, uint32(r))
			}
			back, err := ParseRights(r.String())
			if err != nil || back != r {
				t.Fatalf("round trip %q -> %q -> %v, %v", s, r.String(), back, err)
			}
		}
		if g, err := ParseGroups(s); err == nil {
			back, err := ParseGroups(g.String())
			if err != nil || back != g {
				t.Fatalf("round trip %q -> %q -> %v, %v", s, g.String(), back, err)
			}
		}
		p := Principal(s)
		if !p.Equal(p.Canonical()) || !p.Canonical().Equal(p) {
			t.Fatalf("Principal %q not Equal to its Canonical %q", p, p.Canonical())
		}
	})
}
