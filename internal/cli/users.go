package cli

import (
	"context"
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

// load reads the file again and, if it parses, puts it in use.
func (u *usersFile) load() error {
	f, err := auth.LoadFile(u.path)
	if err != nil {
		return err
	}
	u.cur.Store(f)
	return nil
}

// Authenticate checks against the file loaded last.
func (u *usersFile) Authenticate(ctx context.Context, username, password string) (auth.Identity, error) {
	return u.cur.Load().Authenticate(ctx, username, password)
}

// mailboxFile is the -mailboxes recipient directory (local.LoadDirectory:
// one mailbox per line; an entry without '@' is a user with a mailbox in
// each of domains), replaceable like usersFile.
type mailboxFile struct {
	path    string
	domains []string
	cur     atomic.Pointer[local.StaticDirectory]
}

// load reads the file again and, if every entry is valid, puts it in use.
func (m *mailboxFile) load() error {
	d, err := local.LoadDirectory(m.path, m.domains...)
	if err != nil {
		return err
	}
	m.cur.Store(d)
	return nil
}

// Lookup tells whether addr is in the file loaded last.
func (m *mailboxFile) Lookup(ctx context.Context, addr string) (bool, error) {
	return m.cur.Load().Lookup(ctx, addr)
}
