// Package local delivers messages to mailboxes hosted on this server: the
// recipients of Authoritative accepted domains, for which the Router
// chooses the "MailboxDelivery" next hop (KindMailbox, Hop).
//
// Both deliverers are queue.Deliverer values for the KindMailbox next hop
// (transport.WithLocalDelivery(md), queue.WithDeliverer(md)): a message
// plus its recipients in, one queue.Result per recipient out.
//
//   - Maildir stores each message as a file in a Maildir
//     (https://cr.yp.to/proto/maildir.html) per recipient, by default
//     <root>/<domain>/<localpart>/{tmp,new,cur}. A message is written to
//     tmp/ under a name unique across processes and hosts
//     ("<sec>.M<usec>P<pid>Q<count>R<random>.<host>"), fsync'd, renamed into
//     new/, and new/ itself is fsync'd, so a 250 is only reported for a
//     message that survives a crash. Return-Path: and Delivered-To: are
//     prepended (RFC 5321 section 4.4). The body is read from the queue
//     once; further recipients get a kernel-side copy of the first file, or
//     a hard link when per-recipient headers are turned off.
//   - LMTP hands the message to a mailbox server over LMTP (RFC 2033) on a
//     unix or TCP socket, with go-smtp's client, and maps the server's
//     per-recipient replies after DATA to per-recipient results.
//
// Recipient addresses are canonicalised before they name anything on disk
// (CanonicalAddress): domain as an IDNA A-label, local part lower-cased and
// refused (550 5.1.3) when it holds path separators, "..", NUL or control
// characters, so that no address can reach outside the Maildir root.
//
// A Directory answers "does this mailbox exist?" for the receive side,
// which refuses unknown local recipients at RCPT time with 550 5.1.1.
// StaticDirectory is a fixed set of addresses, LoadDirectory reads one
// from a file of mailboxes (a users file serves); a Maildir built with
// WithRequireExisting is a Directory of its existing mailboxes. Without a
// directory the receive side accepts every local part a Maildir can
// store, creating its mailbox on first delivery. A Checker (Maildir is
// one) tells the receive side at RCPT time what it could never deliver,
// so that it is refused (550 5.1.3, or 550 5.1.1 for a missing mailbox)
// instead of being accepted and bounced; its errors carry those replies,
// so a Maildir serves directly as an smtpx.RecipientChecker.
//
// Reply codes (RFC 3463): 250 2.0.0 delivered; 550 5.1.1 no such mailbox;
// 550 5.1.3 bad mailbox address; 451 4.3.0 disk or I/O error; 452 4.3.1
// disk full; 452 4.2.2 quota exceeded. LMTP replies are passed through as
// the mailbox server gave them.
package local
