package auth

import (
	"context"

	"github.com/hubedge/hubedge/perms"
)

// Identity is who a session is after authentication.
type Identity struct {
	// Principal is the user name for SASL logins, or the transport-server
	// principal for server authentication.
	Principal perms.Principal
	// Groups are further principals the session is evaluated as; every
	// authenticated user holds perms.AuthenticatedUsers.
	Groups []perms.Principal
	// Mechanism is how the identity was established: "PLAIN", "LOGIN",
	// "ExchangeServer", "ExternalAuthoritative", or "" for anonymous.
	Mechanism string
	// Username is the name the client presented (SASL), or the peer
	// certificate's subject (server authentication), for logs.
	Username string
}

// Principals returns Principal followed by Groups, the argument list for
// perms ACL lookups.
func (id Identity) Principals() []perms.Principal {
	out := make([]perms.Principal, 0, 1+len(id.Groups))
	if id.Principal != "" {
		out = append(out, id.Principal)
	}
	return append(out, id.Groups...)
}

// AnonymousIdentity is the identity of a session that has not authenticated.
func AnonymousIdentity() Identity { return Identity{Principal: perms.Anonymous} }

// ExternallySecuredIdentity is the identity of every session on an
// ExternalAuthoritative connector.
func ExternallySecuredIdentity() Identity {
	return Identity{Principal: perms.ExternallySecuredServers, Mechanism: "ExternalAuthoritative"}
}

// Authenticator checks a user name and password.
//
// Implementations return an Identity whose Principal is the user and whose
// Groups include perms.AuthenticatedUsers, or an error wrapping
// ErrInvalidCredentials for a wrong name or password. Any other error means
// the check itself failed (backend down) and the client may retry later.
// Implementations must be safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (Identity, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, username, password string) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, username, password string) (Identity, error) {
	return f(ctx, username, password)
}

// Option configures NewStatic, NewFile and LoadFile.
type Option interface{ apply(*options) }

type options struct {
	groups map[string][]perms.Principal
}

func defaultOptions() options { return options{groups: map[string][]perms.Principal{}} }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// WithGroups adds group principals to user's identity, after
// perms.AuthenticatedUsers and any groups from a password file. By default a
// user holds only perms.AuthenticatedUsers.
func WithGroups(user string, groups ...perms.Principal) Option {
	return funcOption(func(o *options) {
		o.groups[user] = append(o.groups[user], groups...)
	})
}

// userIdentity builds the identity of an authenticated user.
func userIdentity(user string, groups []perms.Principal) Identity {
	g := make([]perms.Principal, 0, 1+len(groups))
	g = append(g, perms.AuthenticatedUsers)
	for _, p := range groups {
		if p != perms.AuthenticatedUsers {
			g = append(g, p)
		}
	}
	return Identity{Principal: perms.Principal(user), Groups: g, Username: user}
}
