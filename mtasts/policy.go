package mtasts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is a policy's mode (RFC 8461 §5).
type Mode string

// Policy modes.
const (
	ModeEnforce Mode = "enforce" // only matching MX hosts, over validated TLS
	ModeTesting Mode = "testing" // deliver anyway; report failures (TLS-RPT)
	ModeNone    Mode = "none"    // the domain withdrew its policy
)

// MaxMaxAge is the largest max_age a policy may have, about one year
// (RFC 8461 §3.2).
const MaxMaxAge = 31557600 * time.Second

// ErrPolicy is wrapped by every *PolicyError.
var ErrPolicy = errors.New("mtasts: invalid policy")

// PolicyError reports a malformed policy file.
type PolicyError struct {
	Line int // 1-based; 0 when the file as a whole is at fault
	Msg  string
}

func (e *PolicyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("mtasts: invalid policy (line %d): %s", e.Line, e.Msg)
	}
	return "mtasts: invalid policy: " + e.Msg
}

// Unwrap returns ErrPolicy.
func (e *PolicyError) Unwrap() error { return ErrPolicy }

// Policy is a parsed MTA-STS policy.
type Policy struct {
	Mode   Mode
	MX     []string // patterns, lower case without trailing dot: "mail.fabrikam.com", "*.fabrikam.com"
	MaxAge time.Duration
	// ID is the id of the TXT record that announced the policy when it was
	// fetched (set by Client, empty from ParsePolicy).
	ID string
	// Text is the policy file, for TLS-RPT's policy-string.
	Text string
}

// ParsePolicy parses a policy file (RFC 8461 §3.2): "key: value" lines
// separated by LF or CRLF; version STSv1, mode, max_age and, unless the
// mode is none, at least one mx are required; unknown keys are ignored;
// for a repeated key other than mx the first occurrence counts.
func ParsePolicy(b []byte) (*Policy, error) {
	p := &Policy{Text: string(b)}
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, &PolicyError{Line: i + 1, Msg: "want \"key: value\""}
		}
		key, value = strings.TrimSpace(key), strings.Trim(value, " \t")
		if !validKey(key) {
			return nil, &PolicyError{Line: i + 1, Msg: fmt.Sprintf("bad key %q", key)}
		}
		if key != "mx" && seen[key] {
			continue
		}
		seen[key] = true
		switch key {
		case "version":
			if value != "STSv1" {
				return nil, &PolicyError{Line: i + 1, Msg: fmt.Sprintf("version %q, want STSv1", value)}
			}
		case "mode":
			switch Mode(value) {
			case ModeEnforce, ModeTesting, ModeNone:
				p.Mode = Mode(value)
			default:
				return nil, &PolicyError{Line: i + 1, Msg: fmt.Sprintf("unknown mode %q", value)}
			}
		case "max_age":
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil || len(value) > 10 || time.Duration(n)*time.Second > MaxMaxAge {
				return nil, &PolicyError{Line: i + 1, Msg: fmt.Sprintf("max_age %q is not 0..31557600", value)}
			}
			p.MaxAge = time.Duration(n) * time.Second
		case "mx":
			pat := strings.ToLower(strings.TrimSuffix(value, "."))
			if !validPattern(pat) {
				return nil, &PolicyError{Line: i + 1, Msg: fmt.Sprintf("bad mx pattern %q", value)}
			}
			p.MX = append(p.MX, pat)
		}
	}
	for _, k := range []string{"version", "mode", "max_age"} {
		if !seen[k] {
			return nil, &PolicyError{Msg: "missing " + k}
		}
	}
	if p.Mode != ModeNone && len(p.MX) == 0 {
		return nil, &PolicyError{Msg: "missing mx"}
	}
	return p, nil
}

// validKey: sts-policy-term key characters (RFC 8461 §3.2).
func validKey(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// validPattern accepts a host name, optionally with "*." as its whole
// leftmost label.
func validPattern(p string) bool {
	p = strings.TrimPrefix(p, "*.")
	if p == "" || len(p) > 253 {
		return false
	}
	for label := range strings.SplitSeq(p, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Match reports whether host may receive mail under the policy (RFC 8461
// §4.1): equal to a pattern, or, for "*.d", exactly one label under d.
// Comparison ignores case and a trailing dot.
func (p *Policy) Match(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if suffix, ok := strings.CutPrefix(pat, "*."); ok {
			label, rest, found := strings.Cut(host, ".")
			if found && label != "" && rest == suffix {
				return true
			}
			continue
		}
		if host == pat {
			return true
		}
	}
	return false
}

// ParseRecord reads a "_mta-sts" TXT record (RFC 8461 §3.1) and returns
// its id: "v=STSv1; id=20160831085700Z;" with fields separated by ';' and
// optional spaces, the version first, an id of 1 to 32 letters or digits;
// other fields are ignored.
func ParseRecord(txt string) (string, error) {
	fields := strings.Split(txt, ";")
	if strings.TrimSpace(fields[0]) != "v=STSv1" {
		return "", errors.New("mtasts: TXT record does not start with v=STSv1")
	}
	id := ""
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(strings.Trim(f, " \t"), "=")
		if !ok || k != "id" || id != "" {
			continue
		}
		if v == "" || len(v) > 32 || strings.IndexFunc(v, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) >= 0 {
			return "", fmt.Errorf("mtasts: TXT record id %q is not 1-32 letters or digits", v)
		}
		id = v
	}
	if id == "" {
		return "", errors.New("mtasts: TXT record has no id")
	}
	return id, nil
}
