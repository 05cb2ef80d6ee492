package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"
)

// LOGIN challenges (draft-murchison-sasl-login-00 §2). go-sasl's LOGIN
// client expects exactly "Password:".
var (
	loginUsernameChallenge = []byte("Username:")
	loginPasswordChallenge = []byte("Password:")
)

// NewPlainServer returns a SASL PLAIN server (RFC 4616) that checks the
// credentials with a and, on success, calls done with the identity (its
// Mechanism set to "PLAIN") before reporting completion. An authorization
// identity different from the user name is refused: hubedge does not
// support proxy authorization. Wrong credentials return an error wrapping
// ErrInvalidCredentials; the caller maps it to 535 5.7.8.
func NewPlainServer(ctx context.Context, a Authenticator, done func(Identity)) sasl.Server {
	return &plainServer{ctx: ctx, a: a, done: done}
}

type plainServer struct {
	ctx      context.Context
	a        Authenticator
	done     func(Identity)
	finished bool
}

func (s *plainServer) Next(response []byte) ([]byte, bool, error) {
	if s.finished {
		return nil, false, sasl.ErrUnexpectedClientResponse
	}
	if response == nil {
		// No initial response: send an empty challenge (RFC 4422 §5).
		return []byte{}, false, nil
	}
	s.finished = true
	parts := bytes.Split(response, []byte{0})
	if len(parts) != 3 {
		return nil, true, fmt.Errorf("%w: PLAIN wants authzid NUL authcid NUL passwd", ErrMalformedResponse)
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != user {
		return nil, true, fmt.Errorf("%w: authorization identity differs from user", ErrInvalidCredentials)
	}
	return nil, true, finish(s.ctx, s.a, s.done, MechPlain, user, pass)
}

// NewLoginServer returns a SASL LOGIN server (draft-murchison-sasl-login):
// it challenges "Username:" then "Password:", accepting the user name as an
// initial response. go-sasl dropped its LOGIN server; Exchange-era clients
// still need it. Results are as for NewPlainServer, with Mechanism "LOGIN".
func NewLoginServer(ctx context.Context, a Authenticator, done func(Identity)) sasl.Server {
	return &loginServer{ctx: ctx, a: a, done: done}
}

type loginState uint8

const (
	loginStart loginState = iota
	loginWantUser
	loginWantPassword
	loginDone
)

type loginServer struct {
	ctx   context.Context
	a     Authenticator
	done  func(Identity)
	state loginState
	user  string
}

func (s *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch s.state {
	case loginStart:
		if response == nil {
			s.state = loginWantUser
			return loginUsernameChallenge, false, nil
		}
		fallthrough // initial response carries the user name
	case loginWantUser:
		s.user = string(response)
		s.state = loginWantPassword
		return loginPasswordChallenge, false, nil
	case loginWantPassword:
		s.state = loginDone
		return nil, true, finish(s.ctx, s.a, s.done, MechLogin, s.user, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// finish authenticates and reports the identity. Errors other than
// ErrInvalidCredentials (backend failures, cancelled ctx) pass unchanged so
// the caller can answer 454 4.7.0 instead of 535.
func finish(ctx context.Context, a Authenticator, done func(Identity), mech, user, pass string) error {
	if user == "" {
		return fmt.Errorf("%w: empty user name", ErrInvalidCredentials)
	}
	id, err := a.Authenticate(ctx, user, pass)
	if err != nil {
		if errors.Is(err, ErrInvalidCredentials) {
			return err
		}
		return fmt.Errorf("auth: %s authentication for %q: %w", mech, user, err)
	}
	id.Mechanism = mech
	if id.Username == "" {
		id.Username = user
	}
	if done != nil {
		done(id)
	}
	return nil
}
