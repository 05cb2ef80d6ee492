package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/local"
)

func TestParseDirectory(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		domains []string
		known   []string
		unknown []string
		err     bool
	}{
		{name: "addresses", text: "bob@contoso.com\n\n# comment\n  Carol@Contoso.COM  \n",
			known: []string{"bob@contoso.com", "carol@contoso.com", "CAROL@contoso.com"}, unknown: []string{"dave@contoso.com"}},
		{name: "users file", text: "alice:$2a$10$abc:MS Exchange\\Hub Transport Servers\nbob:$2a$10$def\n",
			domains: []string{"contoso.com", "fabrikam.com"},
			known:   []string{"alice@contoso.com", "alice@fabrikam.com", "bob@contoso.com"}, unknown: []string{"alice@other.example"}},
		{name: "user without a domain", text: "alice:hash\n", err: true},
		{name: "bad address", text: "a/b@contoso.com\n", err: true},
		{name: "empty", text: "", unknown: []string{"bob@contoso.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := local.ParseDirectory(strings.NewReader(tc.text), tc.domains...)
			if tc.err {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.known {
				if ok, _ := d.Lookup(context.Background(), a); !ok {
					t.Errorf("%s not found", a)
				}
			}
			for _, a := range tc.unknown {
				if ok, _ := d.Lookup(context.Background(), a); ok {
					t.Errorf("%s found", a)
				}
			}
		})
	}
}

func TestLoadDirectoryMissingFile(t *testing.T) {
	if _, err := local.LoadDirectory(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

// FuzzParseDirectory: any input gives a directory or an error, never a
// panic, and every entry it accepts is found again.
func FuzzParseDirectory(f *testing.F) {
	for _, s := range []string{"bob@contoso.com\n", "alice:hash:group\n", "# c\n\n", "a/b@x.com", "\"x y\"@x.com\n", ":\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := local.ParseDirectory(strings.NewReader(text), "contoso.com")
		if err != nil {
			return
		}
		for _, line := range strings.Split(text, "\n") {
			entry, _, _ := strings.Cut(line, ":")
			entry = strings.TrimSpace(entry)
			if entry == "" || strings.HasPrefix(entry, "#") || strings.ContainsAny(line, "\r") {
				continue
			}
			if !strings.Contains(entry, "@") {
				entry += "@contoso.com"
			}
			if ok, _ := d.Lookup(context.Background(), entry); !ok {
				t.Fatalf("entry %q not found", entry)
			}
		}
	})
}

// Maildir.CheckRecipient refuses what Deliver would refuse, without
// creating anything.
func TestMaildirCheckRecipient(t *testing.T) {
	root := t.TempDir()
	md, err := local.NewMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		want error
	}{
		{"bob@contoso.com", nil},
		{`"x y"@contoso.com`, nil},
		{"a/b@contoso.com", local.ErrBadAddress},
		{`"../../escape"@contoso.com`, local.ErrBadAddress},
		{"..@contoso.com", local.ErrBadAddress},
		{`"a\/b"@contoso.com`, local.ErrBadAddress},
		{`".hidden"@contoso.com`, local.ErrBadAddress},
		{`"unterminated@contoso.com`, local.ErrBadAddress},
	} {
		if err := md.CheckRecipient(context.Background(), tc.addr); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("CheckRecipient(%s) = %v, want %v", tc.addr, err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("CheckRecipient created %d entries", len(ents))
	}
	existing, err := local.NewMaildir(root, local.WithRequireExisting())
	if err != nil {
		t.Fatal(err)
	}
	if err := existing.CheckRecipient(context.Background(), "bob@contoso.com"); !errors.Is(err, local.ErrUnknownMailbox) {
		t.Errorf("missing Maildir with WithRequireExisting: %v", err)
	}
	// The Maildir given as a queue.Deliverer is still the Checker.
	var d queue.Deliverer = md
	c, ok := d.(local.Checker)
	if !ok || !errors.Is(c.CheckRecipient(context.Background(), "a/b@contoso.com"), local.ErrBadAddress) {
		t.Error("a Maildir as queue.Deliverer does not check recipients")
	}
}
