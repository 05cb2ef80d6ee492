package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/hubedge/hubedge/queue"
)

// Maildir delivers to one Maildir per recipient under a root directory. It
// is safe for concurrent use, also by several processes sharing the root:
// file names are unique per host, process and delivery.
type Maildir struct {
	root  string
	opts  maildirOptions
	host  string // sanitised for file names
	pid   int
	count atomic.Uint64 // deliveries made by this Maildir (the Q field)
}

var (
	_ queue.Deliverer = (*Maildir)(nil)
	_ Checker         = (*Maildir)(nil)
	_ Directory       = (*Maildir)(nil)
)

// MaildirOption configures NewMaildir.
type MaildirOption interface{ apply(*maildirOptions) }

type maildirOptions struct {
	path         func(addr string) (string, error)
	requireExist bool
	deliveredTo  bool
	hostname     string
}

// Maildirs and messages are private to the mailbox owner.
const (
	dirPerm  fs.FileMode = 0o700
	filePerm fs.FileMode = 0o600
)

type maildirFuncOption func(*maildirOptions)

func (f maildirFuncOption) apply(o *maildirOptions) { f(o) }

func defaultMaildirOptions() maildirOptions {
	return maildirOptions{deliveredTo: true}
}

// WithPath maps a canonical address ("bob@contoso.com", see
// CanonicalAddress) to its Maildir, as a path relative to the root. The
// default is "<domain>/<localpart>". The result must be a local path
// (filepath.IsLocal: no "..", not absolute), else the recipient fails with
// 550 5.1.3; so a careless mapping still cannot leave the root. The
// function may return ErrUnknownMailbox (550 5.1.1), a *queue.Result
// (used as is), or another error, treated as a temporary lookup failure
// (451 4.3.0) because bouncing on a broken directory would lose mail.
func WithPath(f func(addr string) (string, error)) MaildirOption {
	return maildirFuncOption(func(o *maildirOptions) { o.path = f })
}

// WithRequireExisting delivers only to Maildirs that already exist (their
// new/ directory is present); other recipients fail with 550 5.1.1 and
// Lookup reports them unknown. By default missing Maildirs are created on
// first delivery.
func WithRequireExisting() MaildirOption {
	return maildirFuncOption(func(o *maildirOptions) { o.requireExist = true })
}

// WithDeliveredTo controls the per-recipient "Delivered-To:" header
// (default on). Turned off, every recipient's file is byte-identical, so
// the message is written once and hard-linked into the other Maildirs
// (copied where a link is impossible, e.g. across file systems).
func WithDeliveredTo(on bool) MaildirOption {
	return maildirFuncOption(func(o *maildirOptions) { o.deliveredTo = on })
}

// WithHostname sets the host part of file names; the default is
// os.Hostname(), or "localhost" when it is unknown.
func WithHostname(name string) MaildirOption {
	return maildirFuncOption(func(o *maildirOptions) { o.hostname = name })
}

// NewMaildir returns a Maildir store rooted at root, creating root (mode
// 0700) unless WithRequireExisting is given, in which case it must exist.
func NewMaildir(root string, opts ...MaildirOption) (*Maildir, error) {
	o := defaultMaildirOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if root == "" {
		return nil, errors.New("local: empty maildir root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local: maildir root: %w", err)
	}
	if !o.requireExist {
		if err := os.MkdirAll(abs, dirPerm); err != nil {
			return nil, fmt.Errorf("local: maildir root: %w", err)
		}
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("local: maildir root: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("local: maildir root %s is not a directory", abs)
	}
	host := o.hostname
	if host == "" {
		if host, err = os.Hostname(); err != nil || host == "" {
			host = "localhost"
		}
	}
	return &Maildir{root: abs, opts: o, host: sanitizeHost(host), pid: os.Getpid()}, nil
}

// Root returns the absolute root directory.
func (m *Maildir) Root() string { return m.root }

// Deliver writes msg into the Maildir of each recipient: a
// queue.Deliverer for the KindMailbox next hop, whose hop it does not
// consult. See the package documentation for the procedure and the reply
// codes.
func (m *Maildir) Deliver(ctx context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	return m.deliver(ctx, &msg.Envelope, msg.Open, rcpts)
}

// Lookup reports whether addr has a Maildir that Deliver would accept:
// with WithRequireExisting, whether it exists; otherwise whether the
// address is valid (the Maildir would be created).
func (m *Maildir) Lookup(_ context.Context, addr string) (bool, error) {
	dir, _, err := m.resolve(addr)
	switch {
	case errors.Is(err, ErrBadAddress), errors.Is(err, ErrUnknownMailbox):
		return false, nil
	case err != nil:
		return false, err
	case !m.opts.requireExist:
		return true, nil
	}
	return isMaildir(dir)
}

// CheckRecipient reports what Deliver would refuse addr for, without
// writing anything (see Checker): an address that cannot name a Maildir
// (ErrBadAddress: "..", '/', a leading '.', control characters...) and,
// with WithRequireExisting, a Maildir that does not exist
// (ErrUnknownMailbox).
func (m *Maildir) CheckRecipient(_ context.Context, addr string) error {
	dir, _, err := m.resolve(addr)
	if err != nil || !m.opts.requireExist {
		return err
	}
	ok, err := isMaildir(dir)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s", ErrUnknownMailbox, addr)
	}
	return err
}

// Messages returns the paths of the messages waiting in new/ of addr's
// Maildir, sorted by name (which starts with the delivery time). A Maildir
// that does not exist yet holds no messages. It lets tests and tools check
// deliveries without knowing the layout.
func (m *Maildir) Messages(addr string) ([]string, error) {
	dir, _, err := m.resolve(addr)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	var paths []string
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			paths = append(paths, filepath.Join(dir, "new", e.Name()))
		}
	}
	slices.Sort(paths)
	return paths, nil
}

// Path returns the Maildir directory for addr without touching the disk,
// or an error wrapping ErrBadAddress or ErrUnknownMailbox.
func (m *Maildir) Path(addr string) (string, error) {
	dir, _, err := m.resolve(addr)
	return dir, err
}

// resolve maps addr to its Maildir directory, always inside m.root.
func (m *Maildir) resolve(addr string) (dir, canon string, err error) {
	local, domain, err := canonicalParts(addr)
	if err != nil {
		return "", "", err
	}
	canon = local + "@" + domain
	rel := filepath.Join(domain, local)
	if m.opts.path != nil {
		if rel, err = m.opts.path(canon); err != nil {
			return "", canon, err
		}
	}
	rel = filepath.Clean(rel)
	if !filepath.IsLocal(rel) || rel == "." {
		return "", canon, &AddressError{Address: addr, Reason: "mailbox path outside the root"}
	}
	return filepath.Join(m.root, rel), canon, nil
}

// isMaildir reports whether dir/new is a directory.
func isMaildir(dir string) (bool, error) {
	fi, err := os.Stat(filepath.Join(dir, "new"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("local: %w", err)
	}
	return fi.IsDir(), nil
}

// sanitizeHost escapes '/' and ':' as the Maildir specification asks, and
// anything else that is unsafe in a file name.
func sanitizeHost(h string) string {
	var b strings.Builder
	for _, r := range h {
		switch {
		case r == '/':
			b.WriteString(`\057`)
		case r == ':':
			b.WriteString(`\072`)
		case r == '\\' || r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\%03o`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
