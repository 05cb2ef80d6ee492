package auth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hubedge/hubedge/perms"
	"golang.org/x/crypto/bcrypt"
)

// File is an Authenticator over bcrypt password hashes, one user a line:
//
//	# comment
//	alice:$2a$10$...
//	CONTOSO\smtpgateway:$2a$10$...:MS Exchange\Hub Transport Servers,Relay Users
//
// The third field, optional, lists group principals separated by commas.
// User names match exactly and cannot contain ':'. Blank lines and lines
// starting with '#' are ignored. File is immutable and safe for concurrent
// use; load a new one to pick up changes.
type File struct {
	users map[string]fileUser
	dummy []byte // hash compared for unknown users, at the file's highest cost
}

type fileUser struct {
	hash   []byte
	groups []perms.Principal
}

var _ Authenticator = (*File)(nil)

// LoadFile reads a password file from path; see File for the format.
func LoadFile(path string, opts ...Option) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: load password file: %w", err)
	}
	defer f.Close()
	return NewFile(f, opts...)
}

// NewFile reads a password file from r; see File for the format. Errors are
// *ParseError with the line number and never include a hash.
func NewFile(r io.Reader, opts ...Option) (*File, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	pf := &File{users: map[string]fileUser{}}
	maxCost := bcrypt.MinCost
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, u, cost, err := parseFileLine(line, n)
		if err != nil {
			return nil, err
		}
		if _, dup := pf.users[user]; dup {
			return nil, &ParseError{Input: user, Line: n, Msg: fmt.Sprintf("duplicate user %q", user)}
		}
		u.groups = append(u.groups, o.groups[user]...)
		pf.users[user] = u
		maxCost = max(maxCost, cost)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth: read password file: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("hubedge: no such user"), maxCost)
	if err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	pf.dummy = dummy
	return pf, nil
}

func parseFileLine(line string, n int) (string, fileUser, int, error) {
	fields := strings.SplitN(line, ":", 3)
	if len(fields) < 2 {
		return "", fileUser{}, 0, &ParseError{Line: n, Msg: "want user:hash[:groups]"}
	}
	user, hash := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
	if user == "" || !utf8.ValidString(user) {
		return "", fileUser{}, 0, &ParseError{Line: n, Msg: "empty or invalid user name"}
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return "", fileUser{}, 0, &ParseError{Input: user, Line: n, Msg: fmt.Sprintf("user %q: not a bcrypt hash", user), Err: err}
	}
	u := fileUser{hash: []byte(hash)}
	if len(fields) == 3 {
		for g := range strings.SplitSeq(fields[2], ",") {
			if g = strings.TrimSpace(g); g != "" {
				u.groups = append(u.groups, perms.Principal(g))
			}
		}
	}
	return user, u, cost, nil
}

// Len reports the number of users.
func (f *File) Len() int { return len(f.users) }

// Authenticate implements Authenticator. An unknown user costs one bcrypt
// comparison against a dummy hash, like a known one.
func (f *File) Authenticate(ctx context.Context, username, password string) (Identity, error) {
	if err := ctx.Err(); err != nil {
		return Identity{}, err
	}
	u, known := f.users[username]
	hash := f.dummy
	if known {
		hash = u.hash
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || !known {
		return Identity{}, ErrInvalidCredentials
	}
	return userIdentity(username, u.groups), nil
}

// HashPassword returns a bcrypt hash of password at bcrypt.DefaultCost, for a
// password file line. Passwords longer than 72 bytes are refused (bcrypt
// would silently ignore the rest).
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}
