package connector

import (
	"fmt"
	"strings"
)

// Usage is a connector's usage type. It is chosen at creation and sets the
// defaults of NewSendConfig and NewReceiveConfig: permissions, auth
// mechanisms, bindings and remote ranges. The zero value is UsageCustom, the
// reference system's default when -Usage is not given.
type Usage uint8

const (
	// UsageCustom: no default permissions (send); Tls and no permission
	// groups (receive).
	UsageCustom Usage = iota
	// UsageInternal: to or from the organization's own transport servers.
	UsageInternal
	// UsageInternet: DNS routing to the Internet (send); anonymous
	// submission from every IPv4 address (receive).
	UsageInternet
	// UsagePartner: mutual TLS with a domain-secured partner.
	UsagePartner
	// UsageClient: authenticated client submission; receive connectors only.
	UsageClient
)

var usageNames = [...]string{"Custom", "Internal", "Internet", "Partner", "Client"}

// ParseUsage parses a usage name case-insensitively ("Internal").
func ParseUsage(s string) (Usage, error) {
	for i, n := range usageNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Usage(i), nil
		}
	}
	return 0, &ParseError{What: "usage", Input: s, Msg: "want Custom, Internal, Internet, Partner or Client"}
}

func (u Usage) String() string {
	if int(u) < len(usageNames) {
		return usageNames[u]
	}
	return fmt.Sprintf("Usage(%d)", uint8(u))
}

// MarshalText implements encoding.TextMarshaler.
func (u Usage) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (u *Usage) UnmarshalText(b []byte) error {
	v, err := ParseUsage(string(b))
	if err == nil {
		*u = v
	}
	return err
}

// ProtocolLoggingLevel is a connector's ProtocolLoggingLevel.
type ProtocolLoggingLevel uint8

const (
	// ProtocolLoggingNone writes no SMTP protocol log (the default).
	ProtocolLoggingNone ProtocolLoggingLevel = iota
	// ProtocolLoggingVerbose logs every command and reply of the connector.
	ProtocolLoggingVerbose
)

// ParseProtocolLoggingLevel parses "None" or "Verbose", case-insensitively.
func ParseProtocolLoggingLevel(s string) (ProtocolLoggingLevel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none":
		return ProtocolLoggingNone, nil
	case "verbose":
		return ProtocolLoggingVerbose, nil
	}
	return 0, &ParseError{What: "protocol logging level", Input: s, Msg: "want None or Verbose"}
}

func (l ProtocolLoggingLevel) String() string {
	switch l {
	case ProtocolLoggingNone:
		return "None"
	case ProtocolLoggingVerbose:
		return "Verbose"
	}
	return fmt.Sprintf("ProtocolLoggingLevel(%d)", uint8(l))
}

// MarshalText implements encoding.TextMarshaler.
func (l ProtocolLoggingLevel) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *ProtocolLoggingLevel) UnmarshalText(b []byte) error {
	v, err := ParseProtocolLoggingLevel(string(b))
	if err == nil {
		*l = v
	}
	return err
}
