package local

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzMailboxPath checks that no address maps outside the Maildir root:
// every accepted address lands exactly two levels below it, in a directory
// named by its canonical parts, and canonicalisation is idempotent.
func FuzzMailboxPath(f *testing.F) {
	for _, s := range []string{
		"bob@contoso.com", "Bob@Contoso.COM.", "../../etc/passwd@contoso.com", "a/b@x.com",
		`a\b@x.com`, "..@x.com", ".@x.com", "a\x00b@x.com", "bob@../../x", "bob@[127.0.0.1]",
		"bob", "@x.com", "bob@", `"a@b"@x.com`, "ǅemo@bücher.example", "\xff@x.com",
		"İ@x.com", "bob@xn--bcher-kva.example", "bob@ｃｏｎｔｏｓｏ.com",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	md, err := NewMaildir(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		dir, err := md.Path(addr)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("Path(%q) error %v does not wrap ErrBadAddress", addr, err)
			}
			return
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("Path(%q) = %q escapes root %q", addr, dir, root)
		}
		canon, err := CanonicalAddress(addr)
		if err != nil {
			t.Fatalf("Path accepted %q but CanonicalAddress refused it: %v", addr, err)
		}
		local, domain, _ := splitAddress(canon)
		if rel != filepath.Join(domain, local) || strings.Count(rel, string(filepath.Separator)) != 1 {
			t.Fatalf("Path(%q) = %q, want %s/%s", addr, rel, domain, local)
		}
		if again, err := CanonicalAddress(canon); err != nil || again != canon {
			t.Fatalf("CanonicalAddress not idempotent: %q -> %q -> %q (%v)", addr, canon, again, err)
		}
	})
}
