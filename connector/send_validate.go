package connector

import (
	"strings"
	"time"
	"unicode"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
)

func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return configErr(name, "Name", ErrRequired, "a connector needs a name")
	case len(name) > 64:
		return configErr(name, "Name", ErrOutOfRange, "at most 64 characters")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return configErr(name, "Name", ErrInvalid, "control characters are not allowed")
	}
	return nil
}

func checkFQDN(name, fqdn string) error {
	if fqdn == "" {
		return nil
	}
	if _, err := addrspace.CanonicalDomain(fqdn); err != nil {
		return &ConfigError{Connector: name, Parameter: "Fqdn",
			Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}}
	}
	return nil
}

func checkDuration(name, param string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return configErr(name, param, ErrOutOfRange, "%v is outside %v to %v", d, lo, hi)
	}
	return nil
}

// validate applies the reference system's parameter rules (New-SendConnector,
// smart-host authentication, TLS, domain security), most fundamental first
// so the first error is the one to fix.
func (c *SendConfig) validate() error {
	name := c.Name
	smart := len(c.SmartHosts) > 0
	a := c.SmartHostAuthMechanism
	steps := []func() error{
		func() error {
			if c.Usage > UsagePartner {
				return configErr(name, "Usage", ErrInvalid, "%s usage is for receive connectors only", c.Usage)
			}
			return nil
		},
		func() error { return c.checkAddressSpaces(smart) },
		c.checkSmartHosts,
		func() error {
			switch {
			case smart && c.DNSRoutingEnabled:
				return configErr(name, "DNSRoutingEnabled", ErrConflict, "DNS routing and smart hosts are exclusive")
			case !smart && !c.DNSRoutingEnabled:
				return configErr(name, "SmartHosts", ErrRequired, "without DNS routing the connector needs smart hosts")
			case !smart && c.Usage == UsageInternal:
				return configErr(name, "SmartHosts", ErrRequired, "Internal usage routes through smart hosts")
			case c.UseExternalDNSServersEnabled && !c.DNSRoutingEnabled:
				return configErr(name, "UseExternalDNSServersEnabled", ErrConflict, "needs DNS routing")
			}
			return nil
		},
		func() error {
			if a > auth.SmartHostExternalAuthoritative {
				return configErr(name, "SmartHostAuthMechanism", ErrInvalid, "unknown mechanism %d", a)
			}
			if !smart && a != auth.SmartHostNone {
				return configErr(name, "SmartHostAuthMechanism", ErrConflict, "%s needs smart hosts", a)
			}
			return nil
		},
		func() error { return c.checkCredentials() },
		func() error { return c.checkTLS(smart) },
		func() error { return c.checkLinked(smart) },
		func() error { return checkFQDN(name, c.Fqdn) },
		func() error {
			switch {
			case c.Port == 0:
				return configErr(name, "Port", ErrOutOfRange, "port 0 cannot be dialled")
			case c.MaxMessageSize < 0 || roundKB(c.MaxMessageSize) > maxSize:
				return configErr(name, "MaxMessageSize", ErrOutOfRange, "%d is outside 0 (unlimited) to %d bytes", c.MaxMessageSize, maxSize)
			case c.SmtpMaxMessagesPerConnection < 1:
				return configErr(name, "SmtpMaxMessagesPerConnection", ErrOutOfRange, "must be at least 1")
			case c.ProtocolLoggingLevel > ProtocolLoggingVerbose:
				return configErr(name, "ProtocolLoggingLevel", ErrInvalid, "unknown level %d", c.ProtocolLoggingLevel)
			}
			for _, s := range c.SourceTransportServers {
				if strings.TrimSpace(s) == "" {
					return configErr(name, "SourceTransportServers", ErrInvalid, "empty server name")
				}
			}
			return checkDuration(name, "ConnectionInactivityTimeOut", c.ConnectionInactivityTimeOut, time.Second, 24*time.Hour)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (c *SendConfig) checkAddressSpaces(smart bool) error {
	name := c.Name
	if len(c.AddressSpaces) == 0 && c.LinkedReceiveConnector == "" {
		return configErr(name, "AddressSpaces", ErrRequired, "a send connector needs at least one address space")
	}
	for _, s := range c.AddressSpaces {
		if err := s.Validate(); err != nil {
			return &ConfigError{Connector: name, Parameter: "AddressSpaces",
				Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}}
		}
		if !s.IsSMTP() && !smart {
			return configErr(name, "AddressSpaces", ErrConflict, "non-SMTP address space %s needs smart hosts", s)
		}
		if !s.IsSMTP() && c.Edge {
			return configErr(name, "AddressSpaces", ErrInvalid, "an Edge server takes SMTP address spaces only")
		}
	}
	return nil
}

// checkSmartHosts refuses the smart hosts ParseSmartHost would not have
// produced: bad host names, and IP literals that are not one.
func (c *SendConfig) checkSmartHosts() error {
	for _, h := range c.SmartHosts {
		if _, err := ParseSmartHost(h.String()); err != nil {
			return &ConfigError{Connector: c.Name, Parameter: "SmartHosts",
				Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}}
		}
	}
	return nil
}

func (c *SendConfig) checkCredentials() error {
	name, a, cred := c.Name, c.SmartHostAuthMechanism, c.AuthenticationCredential
	basic := a == auth.SmartHostBasicAuth || a == auth.SmartHostBasicAuthRequireTLS
	switch {
	case basic && cred.UserName == "":
		return configErr(name, "AuthenticationCredential", ErrRequired, "%s needs a user name and password", a)
	case !basic && !cred.IsZero():
		return configErr(name, "AuthenticationCredential", ErrConflict, "credentials are only used by BasicAuth and BasicAuthRequireTLS, not %s", a)
	}
	if a == auth.SmartHostBasicAuthRequireTLS {
		for _, h := range c.SmartHosts {
			if h.IsIP {
				return configErr(name, "SmartHosts", ErrConflict,
					"BasicAuthRequireTLS validates the certificate against the smart host's FQDN; %s is an IP address", h)
			}
		}
	}
	return nil
}

func (c *SendConfig) checkTLS(smart bool) error {
	name, p := c.Name, c.policy()
	switch {
	case p.RequireTLS && !smart:
		return configErr(name, "RequireTLS", ErrConflict, "TLS can only be required toward smart hosts")
	case p.IgnoreStartTLS && p.RequireTLS:
		return configErr(name, "IgnoreSTARTTLS", ErrConflict, "cannot ignore STARTTLS while requiring TLS")
	case p.IgnoreStartTLS && p.Auth == auth.SmartHostBasicAuthRequireTLS:
		return configErr(name, "IgnoreSTARTTLS", ErrConflict, "BasicAuthRequireTLS needs STARTTLS")
	case p.TLSAuthLevel > auth.DomainValidation:
		return configErr(name, "TlsAuthLevel", ErrInvalid, "unknown level %d", p.TLSAuthLevel)
	case p.TLSAuthLevel != auth.TLSAuthUnset && !p.RequireTLS:
		return configErr(name, "TlsAuthLevel", ErrConflict, "needs RequireTLS")
	case p.TLSDomain != "" && p.TLSAuthLevel != auth.DomainValidation:
		return configErr(name, "TlsDomain", ErrConflict, "only used with TlsAuthLevel DomainValidation")
	case p.TLSAuthLevel == auth.DomainValidation && p.TLSDomain == "" && !c.DNSRoutingEnabled:
		return configErr(name, "TlsDomain", ErrRequired, "DomainValidation toward smart hosts needs TlsDomain")
	case c.DomainSecureEnabled && (!c.DNSRoutingEnabled || p.IgnoreStartTLS):
		return configErr(name, "DomainSecureEnabled", ErrConflict, "mutual TLS needs DNS routing and STARTTLS (IgnoreSTARTTLS off)")
	case c.Usage == UsagePartner && !c.DomainSecureEnabled:
		return configErr(name, "DomainSecureEnabled", ErrRequired, "Partner usage is mutual TLS")
	}
	if d := strings.TrimPrefix(p.TLSDomain, "*."); p.TLSDomain != "" {
		if _, err := addrspace.CanonicalDomain(d); err != nil {
			return &ConfigError{Connector: name, Parameter: "TlsDomain",
				Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}}
		}
	}
	return nil
}

func (c *SendConfig) checkLinked(smart bool) error {
	name := c.Name
	if c.LinkedReceiveConnector == "" {
		return nil
	}
	switch {
	case len(c.AddressSpaces) > 0:
		return configErr(name, "AddressSpaces", ErrConflict, "a linked connector has no address spaces")
	case !smart:
		return configErr(name, "SmartHosts", ErrRequired, "a linked connector routes through smart hosts")
	case c.MaxMessageSize != 0:
		return configErr(name, "MaxMessageSize", ErrConflict, "a linked connector's size is unlimited")
	}
	return nil
}
