package perms

import "strings"

// Right is a set of extended rights, the permissions an administrator grants
// on a connector with Add-ADPermission -ExtendedRights. The zero value is the
// empty set. Receive-side rights are checked against the session that
// connects to a receive connector; send-side rights against the remote
// principal of a send connector.
type Right uint32

// Receive-side rights.
const (
	// Submit is required to submit at all; without it MAIL FROM and AUTH fail.
	Submit Right = 1 << iota
	// AcceptAnyRecipient permits relay to recipients outside accepted domains.
	AcceptAnyRecipient
	// AcceptAnySender bypasses the sender-address spoofing check.
	AcceptAnySender
	// AcceptAuthoritativeDomainSender permits MAIL FROM addresses in
	// authoritative domains.
	AcceptAuthoritativeDomainSender
	// AcceptAuthenticationFlag treats the session's messages as authenticated
	// (internal).
	AcceptAuthenticationFlag
	// AcceptExch50 permits XEXCH50. XEXCH50 itself is out of scope; the right
	// parses and round-trips so configurations that name it are accepted.
	AcceptExch50
	// AcceptRoutingHeaders keeps inbound Received and Resent-* headers.
	AcceptRoutingHeaders
	// AcceptOrganizationHeaders keeps inbound organization X-headers.
	AcceptOrganizationHeaders
	// AcceptForestHeaders keeps inbound forest X-headers.
	AcceptForestHeaders
	// BypassAntiSpam exempts the session from anti-spam checks.
	BypassAntiSpam
	// BypassMessageSizeLimit lets the session exceed MaxMessageSize.
	BypassMessageSizeLimit

	// SendRoutingHeaders keeps outbound Received and Resent-* headers.
	SendRoutingHeaders
	// SendOrganizationHeaders keeps outbound organization X-headers.
	SendOrganizationHeaders
	// SendForestHeaders keeps outbound forest X-headers.
	SendForestHeaders
	// SendExch50 permits XEXCH50 towards the remote server (out of scope,
	// parsed only).
	SendExch50

	rightEnd // first unused bit
)

const (
	// ReceiveRights holds every receive-side right.
	ReceiveRights = Submit | AcceptAnyRecipient | AcceptAnySender |
		AcceptAuthoritativeDomainSender | AcceptAuthenticationFlag | AcceptExch50 |
		AcceptRoutingHeaders | AcceptOrganizationHeaders | AcceptForestHeaders |
		BypassAntiSpam | BypassMessageSizeLimit
	// SendRights holds every send-side right.
	SendRights = SendRoutingHeaders | SendOrganizationHeaders | SendForestHeaders | SendExch50
	// AllRights holds every right this package knows.
	AllRights = ReceiveRights | SendRights
)

// rightNames are the canonical administrator spellings, indexed by bit.
var rightNames = [...]string{
	"Ms-Exch-SMTP-Submit",
	"Ms-Exch-SMTP-Accept-Any-Recipient",
	"Ms-Exch-SMTP-Accept-Any-Sender",
	"Ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
	"Ms-Exch-SMTP-Accept-Authentication-Flag",
	"Ms-Exch-SMTP-Accept-Exch50",
	"Ms-Exch-Accept-Headers-Routing",
	"Ms-Exch-Accept-Headers-Organization",
	"Ms-Exch-Accept-Headers-Forest",
	"Ms-Exch-Bypass-Anti-Spam",
	"Ms-Exch-Bypass-Message-Size-Limit",
	"Ms-Exch-Send-Headers-Routing",
	"Ms-Exch-Send-Headers-Organization",
	"Ms-Exch-Send-Headers-Forest",
	"Ms-Exch-SMTP-Send-Exch50",
}

// rightAliases are other spellings found in the reference documentation:
// the receive-rights page also writes "ms-Exch-Accept-Exch50", and the
// cross-forest permissions table "ms-Exch-Send-Exch50".
var rightAliases = [...]struct {
	name  string
	right Right
}{
	{"Ms-Exch-Accept-Exch50", AcceptExch50},
	{"Ms-Exch-Send-Exch50", SendExch50},
}

// Compile-time check that every bit has exactly one name: both
// subtractions underflow (a compile error) unless they are equal.
const (
	_ uint = uint(rightEnd) - 1<<len(rightNames)
	_ uint = 1<<len(rightNames) - uint(rightEnd)
)

// Has reports whether r holds every right in want. Has(0) is true.
func (r Right) Has(want Right) bool { return r&want == want }

// String returns the comma-separated administrator names of the rights in
// r, in bit order ("Ms-Exch-SMTP-Submit, Ms-Exch-Accept-Headers-Routing"),
// or "None" for the empty set. Bits this package does not define are
// printed as a hexadecimal "Right(0x…)" item, which ParseRights rejects.
func (r Right) String() string {
	if r == 0 {
		return "None"
	}
	var b strings.Builder
	for i, name := range rightNames {
		if r&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
	}
	if unknown := r &^ AllRights; unknown != 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("Right(0x")
		b.WriteString(uitoa16(uint32(unknown)))
		b.WriteString(")")
	}
	return b.String()
}

func uitoa16(v uint32) string {
	const digits = "0123456789abcdef"
	var buf [8]byte
	i := len(buf)
	for {
		i--
		buf[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			return string(buf[i:])
		}
	}
}

// Names returns the canonical names of the rights in r, in bit order.
func (r Right) Names() []string {
	var out []string
	for i, name := range rightNames {
		if r&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// MarshalText implements encoding.TextMarshaler with the String form. It
// fails on bits this package does not define.
func (r Right) MarshalText() ([]byte, error) {
	if unknown := r &^ AllRights; unknown != 0 {
		return nil, &UnknownRightError{Name: "Right(0x" + uitoa16(uint32(unknown)) + ")"}
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseRights.
func (r *Right) UnmarshalText(text []byte) error {
	v, err := ParseRights(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseRight parses one right by its administrator name, case-insensitively
// and ignoring surrounding white space: "ms-Exch-SMTP-Submit",
// "MS-EXCH-ACCEPT-HEADERS-ROUTING". The documented aliases
// "ms-Exch-Accept-Exch50" and "ms-Exch-Send-Exch50" are accepted. An unknown
// name is an *UnknownRightError.
func ParseRight(s string) (Right, error) {
	name := strings.TrimSpace(s)
	for i, n := range rightNames {
		if strings.EqualFold(name, n) {
			return 1 << i, nil
		}
	}
	for _, a := range rightAliases {
		if strings.EqualFold(name, a.name) {
			return a.right, nil
		}
	}
	return 0, &UnknownRightError{Name: s}
}

// ParseRights parses a comma-separated list of rights as String prints it
// (and as -ExtendedRights takes it). Items may carry white space and double
// quotes; empty items are ignored; "None" (or an empty string) is the empty
// set. ParseRights(r.String()) == r for every r made of defined rights.
func ParseRights(s string) (Right, error) {
	var set Right
	for item := range strings.SplitSeq(s, ",") {
		item = strings.Trim(strings.TrimSpace(item), `"`)
		if item == "" || strings.EqualFold(item, "None") {
			continue
		}
		r, err := ParseRight(item)
		if err != nil {
			return 0, err
		}
		set |= r
	}
	return set, nil
}
