package main

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The outside world's SMTP clients: an anonymous Internet sender and a
// mailbox user (Outlook, say) submitting to the hub.

// login is a client-side AUTH PLAIN after STARTTLS.
type login struct {
	user, pass string
	tls        *tls.Config
}

// send submits msg from → to at addr and returns the final reply text
// ("2.6.0 <id> Queued mail for delivery"). With lg it does STARTTLS and
// AUTH PLAIN first, as submission clients do. A refused command comes back
// as the *smtp.SMTPError go-smtp returns.
func send(addr string, lg *login, from, to, msg string) (string, error) {
	var (
		c   *smtp.Client
		err error
	)
	if lg != nil {
		c, err = smtp.DialStartTLS(addr, lg.tls)
	} else {
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		return "", err
	}
	if lg != nil {
		if err := c.Auth(sasl.NewPlainClient("", lg.user, lg.pass)); err != nil {
			return "", fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return "", fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return "", fmt.Errorf("RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(msg, "\n", "\r\n"))); err != nil {
		return "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	_ = c.Quit()
	return resp.StatusText, nil
}
