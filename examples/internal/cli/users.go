package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/smtpx/local"
)

// usersFile is the -users credentials file, replaceable while sessions
// use it: a reload swaps in the whole new file, so a login sees either the
// old users or the new ones, never a mix.
type usersFile struct {
	path string
	cur  atomic.Pointer[auth.File]
}

var _ auth.Authenticator = (*usersFile)(nil)

// load reads the file again and, if it parses, puts it in use; it returns
// the number of users.
func (u *usersFile) load() (int, error) {
	f, err := auth.LoadFile(u.path)
	if err != nil {
		return 0, err
	}
	u.cur.Store(f)
	return f.Len(), nil
}

// Authenticate checks against the file loaded last.
func (u *usersFile) Authenticate(ctx context.Context, username, password string) (auth.Identity, error) {
	return u.cur.Load().Authenticate(ctx, username, password)
}

// mailboxFile is the -mailboxes recipient directory, replaceable like
// usersFile. Each line holds an address; anything from the first ':' on is
// ignored, and so are names without '@', so that a -users file serves as
// is. Blank lines and lines starting with '#' are skipped.
type mailboxFile struct {
	path string
	cur  atomic.Pointer[local.StaticDirectory]
}

// load reads the file again and, if every address is valid, puts it in
// use; it returns the number of mailboxes.
func (m *mailboxFile) load() (int, error) {
	f, err := os.Open(m.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	d, n := &local.StaticDirectory{}, 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		addr, _, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if strings.HasPrefix(addr, "#") || !strings.Contains(addr, "@") {
			continue
		}
		if err := d.Add(addr); err != nil {
			return 0, fmt.Errorf("%s:%d: %w", m.path, line, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", m.path, err)
	}
	m.cur.Store(d)
	return n, nil
}

// Lookup tells whether addr is in the file loaded last.
func (m *mailboxFile) Lookup(ctx context.Context, addr string) (bool, error) {
	return m.cur.Load().Lookup(ctx, addr)
}
