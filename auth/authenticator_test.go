package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/perms"
	"golang.org/x/crypto/bcrypt"
)

func mustHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// authCase is one Authenticate call and its expected result.
type authCase struct {
	user, pass string
	wantErr    error
	wantGroups []perms.Principal
}

func runAuthCases(t *testing.T, a Authenticator, cases []authCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.user+"/"+tc.pass, func(t *testing.T) {
			id, err := a.Authenticate(context.Background(), tc.user, tc.pass)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Principal != perms.Principal(tc.user) || id.Username != tc.user {
				t.Fatalf("identity %+v is not %q", id, tc.user)
			}
			if !slices.Equal(id.Groups, tc.wantGroups) {
				t.Fatalf("groups = %q, want %q", id.Groups, tc.wantGroups)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	a := NewStatic(map[string]string{"alice": "s3cret", `CONTOSO\gw`: "pw", "empty": ""},
		WithGroups(`CONTOSO\gw`, perms.HubTransportServers, perms.AuthenticatedUsers))
	auth := []perms.Principal{perms.AuthenticatedUsers}
	runAuthCases(t, a, []authCase{
		{user: "alice", pass: "s3cret", wantGroups: auth},
		{user: `CONTOSO\gw`, pass: "pw", wantGroups: []perms.Principal{perms.AuthenticatedUsers, perms.HubTransportServers}},
		{user: "empty", pass: "", wantGroups: auth},
		{user: "alice", pass: "s3cret ", wantErr: ErrInvalidCredentials},
		{user: "Alice", pass: "s3cret", wantErr: ErrInvalidCredentials},
		{user: "bob", pass: "s3cret", wantErr: ErrInvalidCredentials},
		{user: "", pass: "", wantErr: ErrInvalidCredentials},
	})
}

func TestAuthenticatorCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, err := NewFile(strings.NewReader("alice:" + mustHash(t, "pw")))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Authenticator{NewStatic(map[string]string{"alice": "pw"}), f} {
		if _, err := a.Authenticate(ctx, "alice", "pw"); !errors.Is(err, context.Canceled) {
			t.Errorf("%T: err = %v, want context.Canceled", a, err)
		}
	}
}

func TestFile(t *testing.T) {
	text := "# hubedge password file\n\n" +
		"alice:" + mustHash(t, "s3cret") + "\n" +
		`  CONTOSO\gw : ` + mustHash(t, "pw") + ` : MS Exchange\Hub Transport Servers, Relay Users ,` + "\n" +
		"nogroups:" + mustHash(t, "x") + ":\n"
	f, err := NewFile(strings.NewReader(text), WithGroups("alice", "Staff"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 3 {
		t.Fatalf("Len = %d", f.Len())
	}
	runAuthCases(t, f, []authCase{
		{user: "alice", pass: "s3cret", wantGroups: []perms.Principal{perms.AuthenticatedUsers, "Staff"}},
		{user: `CONTOSO\gw`, pass: "pw", wantGroups: []perms.Principal{perms.AuthenticatedUsers, perms.HubTransportServers, "Relay Users"}},
		{user: "nogroups", pass: "x", wantGroups: []perms.Principal{perms.AuthenticatedUsers}},
		{user: "alice", pass: "wrong", wantErr: ErrInvalidCredentials},
		{user: "mallory", pass: "s3cret", wantErr: ErrInvalidCredentials},
		{user: "alice", pass: strings.Repeat("a", 100), wantErr: ErrInvalidCredentials},
	})
}

func TestFileErrors(t *testing.T) {
	h := mustHash(t, "pw")
	tests := []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"no colon", "alice\n", 1, 6, "want user:hash[:groups]"},
		{"no colon indented", "\t  alice  \n", 1, 9, "want user:hash[:groups]"},
		{"empty user", ":" + h, 1, 1, "empty or invalid user name"},
		{"empty user indented", "  : " + h, 1, 3, "empty or invalid user name"},
		{"invalid utf-8 user", "\xffbob:" + h, 1, 1, "empty or invalid user name"},
		{"not bcrypt", "# c\nalice:plaintext", 2, 7, `user "alice": not a bcrypt hash`},
		{"not bcrypt spaced", " alice :  plaintext", 1, 11, `user "alice": not a bcrypt hash`},
		{"empty hash", "alice:", 1, 7, `user "alice": not a bcrypt hash`},
		{"duplicate", "alice:" + h + "\n  alice:" + h, 2, 3, `duplicate user "alice"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFile(strings.NewReader(tt.text))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line || pe.Col != tt.col || pe.Msg != tt.msg {
				t.Fatalf("err = %v, want *ParseError at %d:%d %q", err, tt.line, tt.col, tt.msg)
			}
			if want := fmt.Sprintf("auth: line %d, column %d: %s", tt.line, tt.col, tt.msg); err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
			if strings.Contains(err.Error(), "$2a$") {
				t.Fatalf("error leaks a hash: %v", err)
			}
		})
	}
}

// TestLoadFileErrors checks that a malformed file is named in the error, as
// FILE:LINE:COL, so the administrator can go straight to the fault.
func TestLoadFileErrors(t *testing.T) {
	h := mustHash(t, "pw")
	tests := []struct {
		name, text, want string
	}{
		{"no colon", "alice\n", "badusers:1:6: want user:hash[:groups]"},
		{"not bcrypt", "# c\n\nbob:plain", `badusers:3:5: user "bob": not a bcrypt hash`},
		{"duplicate", "a:" + h + "\na:" + h, `badusers:2:1: duplicate user "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "badusers")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != path {
				t.Fatalf("err = %v, want *ParseError naming %s", err, path)
			}
			if want := filepath.Join(filepath.Dir(path), tt.want); err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
		})
	}
}

func TestLoadFileAndHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(h)); cost != bcrypt.DefaultCost {
		t.Fatalf("cost %d", cost)
	}
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte("carol:"+h+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Authenticate(context.Background(), "carol", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := HashPassword(strings.Repeat("x", 73)); err == nil {
		t.Fatal("73-byte password hashed")
	}
}

func TestIdentityHelpers(t *testing.T) {
	if got := AnonymousIdentity().Principals(); !slices.Equal(got, []perms.Principal{perms.Anonymous}) {
		t.Fatalf("anonymous principals %q", got)
	}
	es := ExternallySecuredIdentity()
	if es.Principal != perms.ExternallySecuredServers || es.Mechanism != "ExternalAuthoritative" {
		t.Fatalf("externally secured %+v", es)
	}
	id := Identity{Principal: "alice", Groups: []perms.Principal{perms.AuthenticatedUsers}}
	if got := id.Principals(); !slices.Equal(got, []perms.Principal{"alice", perms.AuthenticatedUsers}) {
		t.Fatalf("principals %q", got)
	}
	fn := AuthenticatorFunc(func(context.Context, string, string) (Identity, error) { return id, nil })
	if got, _ := fn.Authenticate(context.Background(), "", ""); got.Principal != "alice" {
		t.Fatal("AuthenticatorFunc does not call through")
	}
}

func FuzzNewFile(f *testing.F) {
	h := "$2a$04$abcdefghijklmnopqrstuu5Ysy6ZfNGq1pJxQ4mJ0QVbIb7ZQ5zCy"
	for _, s := range []string{"", "#x\n", "alice:" + h, "a:" + h + ":g1, g2", "a:b:c:d", ":::", "a:" + h + "\na:" + h} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for line := range strings.Lines(s) {
			if fields := strings.Split(line, ":"); len(fields) > 1 {
				if cost, err := bcrypt.Cost([]byte(strings.TrimSpace(fields[1]))); err == nil && cost > 6 {
					t.Skip("expensive bcrypt cost; the parser is what is fuzzed")
				}
			}
		}
		pf, err := NewFile(strings.NewReader(s))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				if !strings.HasPrefix(err.Error(), "auth: ") {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			// The column must point into the reported line or just past it.
			lines := strings.Split(s, "\n")
			if pe.Line < 1 || pe.Line > len(lines) {
				t.Fatalf("%v: line out of range", err)
			}
			if raw := strings.TrimSuffix(lines[pe.Line-1], "\r"); pe.Col < 1 || pe.Col > len(raw)+1 {
				t.Fatalf("%v: column %d outside line %q", err, pe.Col, raw)
			}
			return
		}
		for user := range pf.users {
			if user == "" || strings.Contains(user, ":") {
				t.Fatalf("bad user name %q accepted", user)
			}
		}
	})
}
