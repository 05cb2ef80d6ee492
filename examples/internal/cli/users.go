package cli

import (
	"context"
	"sync/atomic"

	"github.com/hubedge/hubedge/auth"
)

// usersFile is the -users credentials file, replaceable while sessions
// use it: a reload swaps in a whole new file, so a login sees either the
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
