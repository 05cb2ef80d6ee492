package smtptest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
)

// ErrBadReply is wrapped by every *ParseError.
var ErrBadReply = errors.New("smtptest: malformed reply")

// ParseError reports a scripted reply that is not a valid SMTP reply.
type ParseError struct {
	Input string // the reply as given
	Msg   string // what is wrong with it
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("smtptest: parse reply %q: %s", e.Input, e.Msg)
}

// Unwrap returns ErrBadReply.
func (e *ParseError) Unwrap() error { return ErrBadReply }

// ParseReply parses a one-line SMTP reply such as "450 4.2.0 busy" or
// "550 no such user" into the *smtp.SMTPError a go-smtp session returns.
// The code must be 2xx, 4xx or 5xx (RFC 5321 §4.2). An enhanced status
// code (RFC 3463) is optional; when present its class must match the
// code's first digit. Without one, go-smtp sends "X.0.0".
func ParseReply(s string) (*smtp.SMTPError, error) {
	bad := func(msg string) (*smtp.SMTPError, error) { return nil, &ParseError{Input: s, Msg: msg} }
	if strings.ContainsAny(s, "\r\n") {
		return bad("contains a line break")
	}
	codeStr, rest, _ := strings.Cut(s, " ")
	if len(codeStr) != 3 || codeStr[0] < '2' || codeStr[0] > '5' || codeStr[0] == '3' ||
		codeStr[1] < '0' || codeStr[1] > '5' || codeStr[2] < '0' || codeStr[2] > '9' {
		return bad("code must be 2xx, 4xx or 5xx")
	}
	code, _ := strconv.Atoi(codeStr)
	reply := &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: rest}
	first, after, _ := strings.Cut(rest, " ")
	if ec, ok, err := parseEnhanced(first); err != nil {
		return bad(err.Error())
	} else if ok {
		if ec[0] != code/100 {
			return bad("enhanced code class differs from reply code")
		}
		reply.EnhancedCode, reply.Message = ec, after
	}
	return reply, nil
}

// parseEnhanced parses "class.subject.detail". ok is false when s does
// not look like an enhanced code at all (it is then message text); err
// is set when it looks like one but is out of range.
func parseEnhanced(s string) (ec smtp.EnhancedCode, ok bool, err error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return ec, false, nil
	}
	for i, p := range parts {
		n, convErr := strconv.Atoi(p)
		if convErr != nil || p == "" || p[0] == '+' || p[0] == '-' {
			return ec, false, nil
		}
		if len(p) > 3 || (i == 0 && n != 2 && n != 4 && n != 5) {
			return ec, false, errors.New("enhanced code out of range")
		}
		ec[i] = n
	}
	return ec, true, nil
}

// formatReply renders r as ParseReply accepts it.
func formatReply(r *smtp.SMTPError) string {
	if r.EnhancedCode == smtp.EnhancedCodeNotSet {
		return fmt.Sprintf("%d %s", r.Code, r.Message)
	}
	ec := r.EnhancedCode
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, ec[0], ec[1], ec[2], r.Message)
}
