package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// KindMailbox is the queue.NextHop.Kind of local delivery: the Router gives
// it to recipients in Authoritative accepted domains.
const KindMailbox = "MailboxDelivery"

// Hop returns the next hop for local delivery to domain: one delivery queue
// per recipient domain, as the reference system keeps. The domain is
// canonicalised when it can be, so "Contoso.COM" and "contoso.com" share a
// queue.
func Hop(domain string) queue.NextHop {
	if d, err := addrspace.CanonicalDomain(domain); err == nil {
		domain = d
	}
	return queue.NextHop{Kind: KindMailbox, Domain: domain}
}

// Checker is a mailbox store that can tell, before any message exists,
// that it could never deliver to an address, so that the receive side
// refuses the recipient at RCPT time instead of accepting the message
// and bouncing it later (an NDR to a forgeable sender is backscatter).
// CheckRecipient returns nil for an address it may deliver to, an error
// wrapping ErrBadAddress (550 5.1.3) for one that cannot name a mailbox,
// one wrapping ErrUnknownMailbox (550 5.1.1) for a mailbox that does not
// exist, or another error when it cannot tell (answered 4xx). Maildir is
// a Checker; LMTP is not, as only its mailbox server can judge.
type Checker interface {
	CheckRecipient(ctx context.Context, addr string) error
}

// Directory tells whether a local mailbox exists, so that the receive side
// can refuse unknown recipients at RCPT time (550 5.1.1) instead of
// accepting and bouncing them. Lookup reports (false, nil) for an unknown
// or malformed address; a non-nil error is a lookup failure, which the
// caller should answer with a temporary (4xx) reply.
type Directory interface {
	Lookup(ctx context.Context, addr string) (bool, error)
}

// DirectoryFunc adapts a function to Directory.
type DirectoryFunc func(ctx context.Context, addr string) (bool, error)

// Lookup calls f.
func (f DirectoryFunc) Lookup(ctx context.Context, addr string) (bool, error) { return f(ctx, addr) }

// StaticDirectory is a fixed, concurrency-safe set of addresses. Addresses
// are compared in canonical form (CanonicalAddress): the domain as an
// A-label and the local part lower-cased, the same folding Maildir applies,
// so the directory and the mailbox store never disagree about case. The
// zero value is an empty directory ready for use.
type StaticDirectory struct {
	mu    sync.RWMutex
	addrs map[string]struct{}
}

// NewStaticDirectory returns a directory holding addrs. It fails on the
// first address that is not a valid mailbox address.
func NewStaticDirectory(addrs ...string) (*StaticDirectory, error) {
	d := &StaticDirectory{}
	for _, a := range addrs {
		if err := d.Add(a); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Add inserts addr; it returns an *AddressError for an invalid address.
func (d *StaticDirectory) Add(addr string) error {
	c, err := CanonicalAddress(addr)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.addrs == nil {
		d.addrs = make(map[string]struct{})
	}
	d.addrs[c] = struct{}{}
	return nil
}

// Remove deletes addr, if present.
func (d *StaticDirectory) Remove(addr string) {
	c, err := CanonicalAddress(addr)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.addrs, c)
}

// Lookup reports whether addr is in the directory.
func (d *StaticDirectory) Lookup(_ context.Context, addr string) (bool, error) {
	c, err := CanonicalAddress(addr)
	if err != nil {
		return false, nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, ok := d.addrs[c]
	return ok, nil
}

// Sentinel errors.
var (
	// ErrBadAddress is wrapped by *AddressError: the address cannot name a
	// mailbox (550 5.1.3).
	ErrBadAddress = errors.New("local: bad mailbox address")
	// ErrUnknownMailbox means the address is valid but no such mailbox
	// exists (550 5.1.1, its Reply). A WithPath mapping may return it.
	ErrUnknownMailbox error = unknownMailbox{}
)

// AddressError reports an address that cannot name a mailbox.
type AddressError struct {
	Address string
	Reason  string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("local: bad mailbox address %q: %s", e.Address, e.Reason)
}

// Unwrap returns ErrBadAddress.
func (e *AddressError) Unwrap() error { return ErrBadAddress }

// Reply is the refusal a receive session gives such an address at RCPT
// (smtpx.RecipientChecker): 550 5.1.3.
func (e *AddressError) Reply() dsn.Reply {
	return dsn.Reply{Code: 550, Status: dsn.Status{Class: 5, Subject: 1, Detail: 3}, Text: "Recipient address cannot name a mailbox"}
}

// unknownMailbox is ErrUnknownMailbox: a value with the refusal it stands
// for, so a receive session answers it without knowing this package.
type unknownMailbox struct{}

func (unknownMailbox) Error() string { return "local: no such mailbox" }

// Reply is the refusal at RCPT: 550 5.1.1.
func (unknownMailbox) Reply() dsn.Reply {
	return dsn.Reply{Code: 550, Status: dsn.Status{Class: 5, Subject: 1, Detail: 1}, Text: "User unknown"}
}

// Results this package produces.
var (
	resultDelivered  = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "Delivered to mailbox"}
	resultUnknown    = queue.Result{Code: 550, Enhanced: "5.1.1", Text: "RESOLVER.ADR.ExRecipNotFound; not found"}
	resultBadAddress = queue.Result{Code: 550, Enhanced: "5.1.3", Text: "STOREDRV.Deliver; invalid recipient address"}
	resultDiskFull   = queue.Result{Code: 452, Enhanced: "4.3.1", Text: "Insufficient system resources"}
	resultQuota      = queue.Result{Code: 452, Enhanced: "4.2.2", Text: "Mailbox full"}
	resultInterrupt  = queue.Result{Code: 451, Enhanced: "4.3.2", Text: "Local delivery interrupted"}
)

// failureResult classifies a mailbox lookup or write failure.
func failureResult(err error) queue.Result {
	var r *queue.Result
	switch {
	case errors.As(err, &r):
		return *r
	case errors.Is(err, ErrBadAddress):
		return resultBadAddress
	case errors.Is(err, ErrUnknownMailbox):
		return resultUnknown
	}
	return diskResult(err)
}

// splitAddress splits at the last '@': a quoted local part may hold '@'.
func splitAddress(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return "", "", false
	}
	return addr[:i], addr[i+1:], true
}
