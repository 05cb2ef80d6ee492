package auth

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkFileAuthenticate compares a known user with a wrong password and
// an unknown user: the two should cost the same (one bcrypt comparison at
// the file's cost), which is what hides which users exist.
func BenchmarkFileAuthenticate(b *testing.B) {
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	f, err := NewFile(strings.NewReader("alice:" + string(h)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, bc := range []struct{ name, user, pass string }{
		{"known-wrong-password", "alice", "nope"},
		{"unknown-user", "mallory", "nope"},
		{"known-good", "alice", "s3cret"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = f.Authenticate(ctx, bc.user, bc.pass)
			}
		})
	}
}

func BenchmarkStaticAuthenticate(b *testing.B) {
	s := NewStatic(map[string]string{"alice": "s3cret"})
	ctx := context.Background()
	for b.Loop() {
		_, _ = s.Authenticate(ctx, "alice", "s3cret")
	}
}

func BenchmarkPlan(b *testing.B) {
	p := ClientPolicy{Auth: SmartHostBasicAuthRequireTLS, Credentials: Credentials{Username: "gw", Password: "pw"}}
	ext := Extensions{Auth: []string{"LOGIN", "PLAIN"}}
	st := ClientState{TLS: true, Verified: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(p, "smtp.contoso.com", ext, st); err != nil {
			b.Fatal(err)
		}
	}
}
