package postfixtest_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubedge/hubedge/internal/postfixtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

const (
	mxName  = "mx.fabrikam.example"
	smName  = "smarthost.contoso.example"
	user    = "relayuser"
	pass    = "s3cret-Passw0rd"
	message = "From: alice@contoso.example\r\nTo: bob@fabrikam.example\r\n" +
		"Subject: postfixtest self-test\r\nMessage-ID: <selftest-1@contoso.example>\r\n\r\nHello over TLS.\r\n"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// smtpCode returns the reply code of a go-smtp client error, 0 if none.
func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func send(t *testing.T, c *smtp.Client, from, to string) {
	t.Helper()
	require.NoError(t, c.Mail(from, nil))
	require.NoError(t, c.Rcpt(to, nil))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = w.Write([]byte(message))
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

func TestDownstreamSTARTTLS(t *testing.T) {
	t.Parallel()
	pki := smtptest.NewPKI(t)
	pf := postfixtest.Start(t,
		postfixtest.WithHostname(mxName),
		postfixtest.WithTLS(pki.Certificate(mxName)),
		postfixtest.WithMailboxDomains("fabrikam.example"))
	ctx := testContext(t)

	c, err := smtp.DialStartTLS(pf.Addr(), pki.ClientTLSConfig(mxName))
	require.NoError(t, err)
	defer c.Close()
	ok, _ := c.Extension("AUTH")
	assert.False(t, ok, "AUTH offered without SASL users")

	// Not a mailbox domain and no relay rights: refused.
	require.NoError(t, c.Mail("alice@contoso.example", nil))
	err = c.Rcpt("eve@elsewhere.example", nil)
	assert.Equal(t, 554, smtpCode(err), "relay to a foreign domain: %v", err)
	require.NoError(t, c.Reset())

	send(t, c, "alice@contoso.example", "Bob@fabrikam.example")
	require.NoError(t, c.Quit())

	msgs, err := pf.WaitMessages(ctx, 1)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, "bob@fabrikam.example", m.Mailbox)
	assert.Equal(t, "postfixtest self-test", m.Header.Get("Subject"))
	assert.Equal(t, "<alice@contoso.example>", m.Header.Get("Return-Path"))
	assert.Equal(t, "Hello over TLS.\n", string(m.Body))
	assert.Contains(t, m.Received(), "by "+mxName+" (Postfix) with ESMTPS")
	assert.Contains(t, m.Received(), "using TLSv1.3")
}

func TestRequireTLS(t *testing.T) {
	t.Parallel()
	pki := smtptest.NewPKI(t)
	pf := postfixtest.Start(t,
		postfixtest.WithHostname(mxName),
		postfixtest.WithTLS(pki.Certificate(mxName)),
		postfixtest.RequireTLS(),
		postfixtest.WithMailboxDomains("fabrikam.example"))

	c, err := smtp.Dial(pf.Addr())
	require.NoError(t, err)
	defer c.Close()
	err = c.Mail("alice@contoso.example", nil)
	assert.Equal(t, 530, smtpCode(err), "MAIL before STARTTLS: %v", err)
}

func TestSmartHostSASL(t *testing.T) {
	t.Parallel()
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t)
	pf := postfixtest.Start(t,
		postfixtest.WithHostname(smName),
		postfixtest.WithTLS(pki.Certificate(smName)),
		postfixtest.WithSASLUser(user, pass),
		postfixtest.WithRelayHost(sink.Addr()))
	ctx := testContext(t)

	t.Run("no AUTH before TLS", func(t *testing.T) {
		c, err := smtp.Dial(pf.Addr())
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Hello("client.contoso.example"))
		ok, _ := c.Extension("AUTH")
		assert.False(t, ok, "AUTH offered before STARTTLS")
		err = c.Auth(sasl.NewPlainClient("", user, pass))
		assert.Error(t, err, "AUTH accepted before STARTTLS")
	})
	t.Run("anonymous relay refused", func(t *testing.T) {
		c, err := smtp.DialStartTLS(pf.Addr(), pki.ClientTLSConfig(smName))
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Mail("alice@contoso.example", nil))
		err = c.Rcpt("bob@fabrikam.example", nil)
		assert.Equal(t, 554, smtpCode(err), "%v", err)
	})
	t.Run("wrong password refused", func(t *testing.T) {
		c, err := smtp.DialStartTLS(pf.Addr(), pki.ClientTLSConfig(smName))
		require.NoError(t, err)
		defer c.Close()
		err = c.Auth(sasl.NewPlainClient("", user, "wrong"))
		assert.Equal(t, 535, smtpCode(err), "%v", err)
	})
	for i, mech := range []sasl.Client{
		sasl.NewPlainClient("", user, pass),
		sasl.NewLoginClient(user, pass),
	} {
		c, err := smtp.DialStartTLS(pf.Addr(), pki.ClientTLSConfig(smName))
		require.NoError(t, err)
		require.NoError(t, c.Auth(mech), "mechanism %d", i)
		send(t, c, "alice@contoso.example", "bob@fabrikam.example")
		require.NoError(t, c.Quit())
	}

	got, err := sink.WaitMessages(ctx, 2)
	require.NoError(t, err)
	for _, m := range got {
		assert.Equal(t, "alice@contoso.example", m.From)
		assert.Equal(t, []string{"bob@fabrikam.example"}, m.To)
		assert.Equal(t, "<selftest-1@contoso.example>", m.Header.Get("Message-Id"))
		assert.Contains(t, m.Header.Get("Received"), "with ESMTPSA")
	}

	// Start's readiness probe, then the five sessions above.
	sessions, err := pf.WaitDisconnects(ctx, 6)
	require.NoError(t, err)
	assert.Equal(t, "quit=1 commands=1", sessions[0], "readiness probe")
	assert.True(t, strings.HasPrefix(sessions[1], "ehlo=1 auth=0/1 "), "AUTH refused before TLS: %q", sessions[1])
	var auths []string
	for _, cmd := range pf.Commands() {
		if verb, _, _ := strings.Cut(cmd, " "); strings.EqualFold(verb, "AUTH") {
			auths = append(auths, cmd)
		}
	}
	assert.Len(t, auths, 4, "AUTH commands seen by smtpd: %q", auths)
}

func TestWaitLog(t *testing.T) {
	t.Parallel()
	pf := postfixtest.Start(t, postfixtest.WithMailboxDomains("fabrikam.example"))
	ctx := testContext(t)
	line, err := pf.WaitLog(ctx, regexp.MustCompile(`daemon started`))
	require.NoError(t, err)
	assert.Contains(t, line, "postfix")

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = pf.WaitLog(short, regexp.MustCompile(`never logged`))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, pf.Flush(ctx))
}
