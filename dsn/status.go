package dsn

import "strconv"

// Status is an RFC 3463 enhanced status code, class.subject.detail.
// Class is 2 (success), 4 (persistent transient failure) or 5 (permanent
// failure); subject and detail are 0 to 999.
type Status struct {
	Class, Subject, Detail int
}

// ParseStatus parses "5.1.1". Each part is 1 to 3 digits (RFC 3463 §2);
// the class must be 2, 4 or 5.
func ParseStatus(s string) (Status, error) {
	var v [3]int
	part, digits := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && part < 2 && digits > 0:
			part, digits = part+1, 0
		case c == '.':
			return Status{}, newParseError("status", s, "want class.subject.detail")
		case c < '0' || c > '9':
			return Status{}, newParseError("status", s, "non-digit in code")
		case digits == 3:
			return Status{}, newParseError("status", s, "each part must be 1 to 3 digits")
		default:
			v[part] = v[part]*10 + int(c-'0')
			digits++
		}
	}
	if part != 2 || digits == 0 {
		return Status{}, newParseError("status", s, "want class.subject.detail")
	}
	st := Status{v[0], v[1], v[2]}
	if !st.Valid() {
		return Status{}, newParseError("status", s, "class must be 2, 4 or 5")
	}
	return st, nil
}

// MustParseStatus is like ParseStatus but panics on error; for constants.
func MustParseStatus(s string) Status {
	st, err := ParseStatus(s)
	if err != nil {
		panic(err)
	}
	return st
}

// StatusForReply returns the generic enhanced code for a basic SMTP reply
// code (2.0.0, 4.0.0 or 5.0.0), for replies that carry none. It returns the
// zero Status for codes outside 200–599 or of class 3.
func StatusForReply(code int) Status {
	switch code / 100 {
	case 2, 4, 5:
		return Status{Class: code / 100}
	}
	return Status{}
}

// Valid reports whether the class is 2, 4 or 5 and subject and detail are
// within 0–999.
func (s Status) Valid() bool {
	return (s.Class == 2 || s.Class == 4 || s.Class == 5) &&
		s.Subject >= 0 && s.Subject <= 999 && s.Detail >= 0 && s.Detail <= 999
}

// String formats the code as "5.1.1".
func (s Status) String() string {
	return strconv.Itoa(s.Class) + "." + strconv.Itoa(s.Subject) + "." + strconv.Itoa(s.Detail)
}

// Permanent reports a 5.x.x code.
func (s Status) Permanent() bool { return s.Class == 5 }

// Temporary reports a 4.x.x code.
func (s Status) Temporary() bool { return s.Class == 4 }

// Success reports a 2.x.x code.
func (s Status) Success() bool { return s.Class == 2 }

// statusTexts are the plain-English meanings used in the human-readable
// part: RFC 3463 texts, worded as Exchange words them where its documentation
// gives a text. Keys are subject*1000+detail.
var statusTexts = map[int]string{
	1000: "Other address status",
	1001: "The recipient's mailbox does not exist (user unknown)",
	1002: "The recipient's domain does not exist",
	1003: "Invalid recipient address",
	1004: "Destination address ambiguous",
	1006: "Destination mailbox has moved",
	1007: "Invalid sender address",
	1010: "The recipient address has a null MX",
	2000: "Mailbox status unavailable",
	2001: "The recipient's mailbox is disabled or not accepting messages",
	2002: "The recipient's mailbox is full",
	2003: "The message is too large for the recipient",
	2004: "Distribution list expansion problem",
	3000: "Mail system problem",
	3001: "Insufficient system resources",
	3002: "System not accepting network messages",
	3004: "Message size exceeds the fixed maximum message size",
	3005: "System incorrectly configured",
	4000: "Network or routing problem",
	4001: "Connection timed out: no answer from the host",
	4002: "Connection dropped",
	4003: "Directory server failure",
	4004: "Unable to route the message",
	4006: "Hop count exceeded - possible mail loop",
	4007: "Message expired: the delivery time-limit passed",
	5000: "Mail delivery protocol problem",
	5003: "Too many recipients",
	6000: "Message content problem",
	7000: "Security or policy problem",
	7001: "Delivery not authorized, message refused",
}

// text returns a short meaning for the code, falling back to the subject.
func (s Status) text() string {
	if t, ok := statusTexts[s.Subject*1000+s.Detail]; ok && s.Subject < 1000 {
		return t
	}
	if t, ok := statusTexts[s.Subject*1000]; ok {
		return t
	}
	return "Delivery problem"
}

// Action is the RFC 3464 §2.3.3 Action of a per-recipient report.
type Action string

// Action values (RFC 3464 §2.3.3).
const (
	Failed    Action = "failed"
	Delayed   Action = "delayed"
	Delivered Action = "delivered"
	Relayed   Action = "relayed"
	Expanded  Action = "expanded"
)

// Valid reports whether a is one of the five RFC 3464 actions.
func (a Action) Valid() bool {
	switch a {
	case Failed, Delayed, Delivered, Relayed, Expanded:
		return true
	}
	return false
}
