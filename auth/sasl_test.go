package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/hubedge/hubedge/perms"
)

// converse runs a go-sasl client against a server in memory, the way
// go-smtp relays AUTH: initial response, then challenge/response rounds.
func converse(t *testing.T, c sasl.Client, s sasl.Server) error {
	t.Helper()
	_, resp, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		challenge, done, err := s.Next(resp)
		if err != nil || done {
			return err
		}
		if resp, err = c.Next(challenge); err != nil {
			return err
		}
	}
	t.Fatal("SASL exchange did not finish")
	return nil
}

func TestSASLServersWithGoSASLClients(t *testing.T) {
	users := NewStatic(map[string]string{"alice": "s3cret"}, WithGroups("alice", "Relay Users"))
	servers := map[string]func(context.Context, Authenticator, func(Identity)) sasl.Server{
		MechPlain: NewPlainServer,
		MechLogin: NewLoginServer,
	}
	clients := map[string]func(user, pass string) sasl.Client{
		MechPlain: func(u, p string) sasl.Client { return sasl.NewPlainClient("", u, p) },
		MechLogin: sasl.NewLoginClient,
	}
	tests := []struct {
		user, pass string
		wantErr    error
	}{
		{"alice", "s3cret", nil},
		{"alice", "wrong", ErrInvalidCredentials},
		{"bob", "s3cret", ErrInvalidCredentials},
		{"", "", ErrInvalidCredentials},
	}
	for mech, newServer := range servers {
		for _, tt := range tests {
			t.Run(mech+"/"+tt.user+"/"+tt.pass, func(t *testing.T) {
				var got *Identity
				s := newServer(context.Background(), users, func(id Identity) { got = &id })
				err := converse(t, clients[mech](tt.user, tt.pass), s)
				if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr != nil {
					if got != nil {
						t.Fatal("done called on failure")
					}
					return
				}
				if got == nil || got.Mechanism != mech || got.Principal != "alice" || got.Username != "alice" {
					t.Fatalf("identity = %+v", got)
				}
				if len(got.Groups) != 2 || got.Groups[0] != perms.AuthenticatedUsers {
					t.Fatalf("groups = %q", got.Groups)
				}
				if _, _, err := s.Next([]byte("more")); !errors.Is(err, sasl.ErrUnexpectedClientResponse) {
					t.Fatalf("response after completion: %v", err)
				}
			})
		}
	}
}

func TestPlainServer(t *testing.T) {
	users := NewStatic(map[string]string{"alice": "pw"})
	backendDown := errors.New("directory unreachable")
	down := AuthenticatorFunc(func(context.Context, string, string) (Identity, error) { return Identity{}, backendDown })
	tests := []struct {
		name    string
		a       Authenticator
		resp    []byte
		wantErr error
	}{
		{"ok", users, []byte("\x00alice\x00pw"), nil},
		{"authzid same as user", users, []byte("alice\x00alice\x00pw"), nil},
		{"authzid differs", users, []byte("bob\x00alice\x00pw"), ErrInvalidCredentials},
		{"two fields", users, []byte("alice\x00pw"), ErrMalformedResponse},
		{"four fields", users, []byte("\x00alice\x00pw\x00"), ErrMalformedResponse},
		{"empty", users, []byte{}, ErrMalformedResponse},
		{"backend down", down, []byte("\x00alice\x00pw"), backendDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewPlainServer(context.Background(), tt.a, nil)
			_, done, err := s.Next(tt.resp)
			if !done || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Next = done %v, %v; want %v", done, err, tt.wantErr)
			}
			if tt.name == "backend down" && errors.Is(err, ErrInvalidCredentials) {
				t.Fatal("backend failure reported as bad credentials")
			}
		})
	}
}

func TestPlainServerEmptyChallenge(t *testing.T) {
	s := NewPlainServer(context.Background(), NewStatic(map[string]string{"a": "b"}), nil)
	ch, done, err := s.Next(nil)
	if err != nil || done || ch == nil || len(ch) != 0 {
		t.Fatalf("no initial response: %q %v %v", ch, done, err)
	}
	if _, done, err := s.Next([]byte("\x00a\x00b")); !done || err != nil {
		t.Fatalf("second step: %v %v", done, err)
	}
}

func TestLoginServerChallenges(t *testing.T) {
	var got Identity
	s := NewLoginServer(context.Background(), NewStatic(map[string]string{"alice": "pw"}), func(id Identity) { got = id })
	steps := []struct {
		resp          []byte
		wantChallenge string
		wantDone      bool
	}{
		{nil, "Username:", false},
		{[]byte("alice"), "Password:", false},
		{[]byte("pw"), "", true},
	}
	for i, st := range steps {
		ch, done, err := s.Next(st.resp)
		if err != nil || string(ch) != st.wantChallenge || done != st.wantDone {
			t.Fatalf("step %d: %q %v %v", i, ch, done, err)
		}
	}
	if got.Mechanism != MechLogin || got.Principal != "alice" {
		t.Fatalf("identity %+v", got)
	}
}

func FuzzSASLServers(f *testing.F) {
	f.Add([]byte("\x00alice\x00pw"), []byte("pw"), true)
	f.Add([]byte("alice"), []byte{}, false)
	f.Add([]byte{}, []byte("\x00\x00"), true)
	users := NewStatic(map[string]string{"alice": "pw"})
	f.Fuzz(func(t *testing.T, first, second []byte, nilFirst bool) {
		if nilFirst {
			first = nil
		}
		for _, s := range []sasl.Server{
			NewPlainServer(context.Background(), users, nil),
			NewLoginServer(context.Background(), users, nil),
		} {
			for _, r := range [][]byte{first, second, second, second} {
				_, done, err := s.Next(r)
				if done || err != nil {
					break
				}
			}
		}
	})
}
