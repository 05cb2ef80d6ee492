package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/hubedge/hubedge/perms"
)

// Static is an Authenticator over an in-memory user→password table, for
// tests and small deployments. It is immutable and safe for concurrent use.
type Static struct {
	users map[string]staticUser
}

type staticUser struct {
	digest [sha256.Size]byte
	groups []perms.Principal
}

var _ Authenticator = (*Static)(nil)

// dummyDigest is compared against when the user is unknown, so unknown and
// known users take the same time.
var dummyDigest = sha256.Sum256([]byte("hubedge: no such user"))

// NewStatic returns an Authenticator for users (name → password). User names
// match exactly (case-sensitive). Passwords are compared in constant time
// over their SHA-256 digests, so neither the length of the password nor the
// existence of the user shows in the timing. The map is copied.
func NewStatic(users map[string]string, opts ...Option) *Static {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	s := &Static{users: make(map[string]staticUser, len(users))}
	for name, pw := range users {
		s.users[name] = staticUser{digest: sha256.Sum256([]byte(pw)), groups: o.groups[name]}
	}
	return s
}

// Authenticate implements Authenticator.
func (s *Static) Authenticate(ctx context.Context, username, password string) (Identity, error) {
	if err := ctx.Err(); err != nil {
		return Identity{}, err
	}
	u, known := s.users[username]
	want := dummyDigest
	if known {
		want = u.digest
	}
	got := sha256.Sum256([]byte(password))
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	if !known || !match || username == "" {
		return Identity{}, ErrInvalidCredentials
	}
	return userIdentity(username, u.groups), nil
}
