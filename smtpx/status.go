package smtpx

import (
	"context"
	"errors"
	"syscall"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
)

// ErrServerClosed is returned by Start, Shutdown, Close and Reconfigure
// on a server that has already been shut down.
var ErrServerClosed = errors.New("smtpx: server closed")

// The refusals a RecipientChecker asks for; an error carrying its own
// reply (a Reply() dsn.Reply method, as package local's errors have)
// is answered with that reply.
var (
	// ErrUnknownRecipient: no such recipient (550 5.1.1).
	ErrUnknownRecipient = errors.New("smtpx: unknown recipient")
	// ErrInvalidRecipient: the address can never be delivered here, e.g. a
	// local part no mailbox can have (550 5.1.3).
	ErrInvalidRecipient = errors.New("smtpx: invalid recipient")
)

// reply builds a reply with an enhanced status code (RFC 3463).
func reply(code int, class, subject, detail int, msg string) *dsn.Reply {
	return &dsn.Reply{Code: code, Status: dsn.Status{Class: class, Subject: subject, Detail: detail}, Text: msg}
}

// The replies sessions give, with the reference system's texts where its
// documentation gives them and plain RFC 3463 wording otherwise.
var (
	replyNoConnector      = reply(554, 5, 7, 1, "Access denied: no receive connector for this address")
	replyTooManyConns     = reply(421, 4, 3, 2, "The maximum number of concurrent server connections has exceeded a limit, closing transmission channel")
	replyTooManyPerSource = reply(421, 4, 3, 2, "The maximum number of concurrent connections has exceeded a limit, closing transmission channel")
	replyShuttingDown     = reply(421, 4, 3, 2, "Service not available, closing transmission channel")
	replyMustStartTLS     = reply(530, 5, 7, 0, "Must issue a STARTTLS command first")
	replyNotAuthenticated = reply(530, 5, 7, 1, "Client was not authenticated")
	replySendAs           = reply(550, 5, 7, 1, "Client does not have permissions to send as this sender")
	replyUnableToRelay    = reply(550, 5, 7, 1, "Unable to relay")
	replyUserUnknown      = reply(550, 5, 1, 1, "User unknown")
	replyUndeliverable    = reply(550, 5, 1, 3, "Recipient address cannot name a mailbox")
	replyBadSender        = reply(501, 5, 1, 7, "Invalid address")
	replyBadRecipient     = reply(501, 5, 1, 3, "Invalid recipient address")
	replyNeedSMTPUTF8     = reply(553, 5, 6, 7, "Non-ASCII address requires the SMTPUTF8 parameter")
	replyTooBig           = reply(552, 5, 3, 4, "Message size exceeds fixed maximum message size")
	replyHeaderTooBig     = reply(552, 5, 3, 4, "Header size exceeds fixed maximum size")
	replyBadHeader        = reply(554, 5, 6, 0, "Invalid message content")
	replyHopCount         = reply(554, 5, 4, 14, "Hop count exceeded - possible mail loop")
	replyRoutingLoop      = reply(554, 5, 4, 6, "Routing loop detected")
	replyBadEHLO          = reply(501, 5, 5, 4, "Invalid domain name")
	replyTLSForAuth       = reply(538, 5, 7, 11, "Encryption required for requested authentication mechanism")
	replyAuthNotOffered   = reply(504, 5, 7, 4, "Unrecognized authentication type")
	replyAuthFailed       = reply(535, 5, 7, 8, "Authentication unsuccessful")
	replyAuthNoSubmit     = reply(535, 5, 7, 3, "Authentication unsuccessful")
	replyAuthTemp         = reply(454, 4, 7, 0, "Temporary authentication failure")
	replyAuthMalformed    = reply(501, 5, 5, 2, "Cannot decode response")
	replyAlreadyAuth      = reply(503, 5, 5, 1, "Already authenticated")
	replyLocalError       = reply(451, 4, 3, 0, "Temporary server error. Please try again later")
	replyStorageFull      = reply(452, 4, 3, 1, "Insufficient system storage")
	replyNoResources      = reply(452, 4, 3, 1, "Insufficient system resources")
	replyDataAborted      = reply(451, 4, 4, 2, "Connection dropped during message transfer")
	replyLineTooLong      = reply(500, 5, 5, 2, "Line too long, closing connection")
	replyDirectory        = reply(451, 4, 3, 0, "Recipient lookup failed. Please try again later")
)

// queuedReply is the final DATA/BDAT reply, sent once Enqueue has returned,
// in the reference system's form "250 2.6.0 <id> Queued mail for delivery".
func queuedReply(id queue.ID) *dsn.Reply {
	return reply(250, 2, 6, 0, "<"+string(id)+"> Queued mail for delivery")
}

// Status converts err into the reply a client should get, in the manner of
// grpc's status.FromError: nil for nil, the *dsn.Reply found anywhere in
// err's chain (errors.As, so a wrapped 451 stays a 451), a queue.Result's
// reply, and a mapping of hubedge's sentinel errors otherwise. Unknown
// errors become 451 4.3.0, a temporary failure: a client retries rather
// than bouncing mail because of a local fault.
func Status(err error) *dsn.Reply {
	if err == nil {
		return nil
	}
	var r *dsn.Reply
	if errors.As(err, &r) {
		return r
	}
	var res *queue.Result
	if errors.As(err, &res) {
		r := res.Reply()
		return &r
	}
	switch {
	case errors.Is(err, queue.ErrClosed), errors.Is(err, ErrServerClosed):
		return replyShuttingDown
	case errors.Is(err, queue.ErrTooLarge):
		return replyTooBig
	case errors.Is(err, perms.ErrHeaderTooLarge):
		return replyHeaderTooBig
	case errors.Is(err, perms.ErrMalformedHeader):
		return replyBadHeader
	case errors.Is(err, auth.ErrInvalidCredentials):
		return replyAuthFailed
	case errors.Is(err, auth.ErrTLSRequired):
		return replyTLSForAuth
	case errors.Is(err, auth.ErrAuthNotOffered):
		return replyAuthNotOffered
	case errors.Is(err, auth.ErrAlreadyAuthenticated):
		return replyAlreadyAuth
	case errors.Is(err, auth.ErrMalformedResponse):
		return replyAuthMalformed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return replyShuttingDown
	case errors.Is(err, syscall.ENOSPC):
		// RFC 5321 §4.2.2 452 and RFC 3463 X.3.1 (mail system full): the
		// client retries later instead of treating it as any local fault.
		return replyStorageFull
	}
	return replyLocalError
}
