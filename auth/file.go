package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
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
	pf, err := NewFile(f, opts...)
	// NewFile sees only a reader; naming the file here lets the error point
	// at it as path:line:col.
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.File = path
	}
	return pf, err
}

// NewFile reads a password file from r; see File for the format. Errors are
// *ParseError with the line and column and never include a hash.
func NewFile(r io.Reader, opts ...Option) (*File, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	pf := &File{users: map[string]fileUser{}}
	maxCost := bcrypt.MinCost
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Columns are reported against the raw line, so count the
		// indentation TrimSpace removed.
		indent := len(raw) - len(strings.TrimLeftFunc(raw, unicode.IsSpace))
		user, u, cost, err := parseFileLine(line, n, indent)
		if err != nil {
			return nil, err
		}
		if _, dup := pf.users[user]; dup {
			return nil, &ParseError{Input: user, Line: n, Col: indent + 1, Msg: fmt.Sprintf("duplicate user %q", user)}
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

// parseFileLine parses line, trimmed of the indent bytes that preceded it
// on line n of the file.
func parseFileLine(line string, n, indent int) (string, fileUser, int, error) {
	// col turns a byte offset in line into a 1-based column of the raw line.
	col := func(off int) int { return indent + off + 1 }
	fields := strings.SplitN(line, ":", 3)
	if len(fields) < 2 {
		// The ':' is missing, so point just past the text where it belongs.
		return "", fileUser{}, 0, &ParseError{Line: n, Col: col(len(line)), Msg: "want user:hash[:groups]"}
	}
	user, hash := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
	if user == "" || !utf8.ValidString(user) {
		return "", fileUser{}, 0, &ParseError{Line: n, Col: col(0), Msg: "empty or invalid user name"}
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		hashOff := len(fields[0]) + 1 + len(fields[1]) - len(strings.TrimLeftFunc(fields[1], unicode.IsSpace))
		return "", fileUser{}, 0, &ParseError{Input: user, Line: n, Col: col(hashOff), Msg: fmt.Sprintf("user %q: not a bcrypt hash", user), Err: err}
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
