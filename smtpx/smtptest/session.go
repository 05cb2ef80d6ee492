package smtptest

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"errors"
	"io"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var (
	errTLSRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	// RFC 4954 §6 code; go-smtp's ErrAuthRequired says 502.
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
)

// session is the go-smtp session of one connection (recreated by go-smtp
// after STARTTLS). go-smtp does not enforce AUTH or TLS, so Mail does.
type session struct {
	sink     *Sink
	conn     *smtp.Conn
	rec      *connRecorder
	authUser string
	authMech string
	from     string
	mailOpts smtp.MailOptions
	to       []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (s *session) Reset() {
	s.from, s.mailOpts, s.to = "", smtp.MailOptions{}, nil
}

// Logout also runs right after a STARTTLS handshake: clear the flag the
// handshake's raw writes raised (see transcript.go).
func (s *session) Logout() error {
	s.rec.wrote.Store(false)
	return nil
}

func (s *session) AuthMechanisms() []string {
	if s.sink.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.sink.opts.user == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return s.checkCredentials(sasl.Plain, user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error {
			return s.checkCredentials(sasl.Login, user, pass)
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// checkCredentials returns smtp.ErrAuthFailed (535 5.7.8) on mismatch:
// any other error would reach the client as a temporary 454.
func (s *session) checkCredentials(mech, user, pass string) error {
	o := &s.sink.opts
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(o.user))
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(o.pass))
	if userOK&passOK != 1 {
		return smtp.ErrAuthFailed
	}
	s.authUser, s.authMech = user, mech
	return nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if _, isTLS := s.conn.TLSConnectionState(); s.sink.opts.requireTLS && !isTLS {
		return errTLSRequired
	}
	if s.sink.opts.user != "" && s.authUser == "" {
		return errAuthRequired
	}
	s.from = from
	if opts != nil {
		s.mailOpts = *opts
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	// go-smtp only adds the recipient when Rcpt returns nil, so scripted
	// 2xx replies accept with go-smtp's own text.
	if reply := s.sink.nextRcptReply(to); reply != nil && reply.Code >= 400 {
		return reply
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return smtpStatus(err)
	}
	m := s.message(body)
	if fn := s.sink.opts.onData; fn != nil {
		if err := fn(s.sink.hookContext(), m); err != nil {
			return smtpStatus(err)
		}
	}
	reply := s.sink.nextDataReply()
	if reply != nil && reply.Code >= 400 {
		return reply
	}
	s.sink.addMessage(m)
	if reply != nil {
		return reply // a scripted 2xx: go-smtp sends its code and text as is
	}
	return nil
}

func (s *session) message(body []byte) Message {
	m := Message{
		ConnID:        s.rec.id,
		Helo:          s.conn.Hostname(),
		From:          s.from,
		To:            append([]string(nil), s.to...),
		MailOptions:   s.mailOpts,
		Body:          body,
		AuthUser:      s.authUser,
		AuthMechanism: s.authMech,
	}
	// A message without a valid header section keeps what parsed; the
	// raw bytes are in Body either way.
	m.Header, _ = textproto.ReadHeader(bufio.NewReader(bytes.NewReader(body)))
	if st, ok := s.conn.TLSConnectionState(); ok {
		m.TLS, m.TLSServerName, m.PeerCertificates = true, st.ServerName, st.PeerCertificates
	}
	return m
}

// smtpStatus returns the *smtp.SMTPError inside err, unwrapped, because
// go-smtp finds reply codes by type assertion; other errors become a
// transient 451 4.3.0.
func smtpStatus(err error) *smtp.SMTPError {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login), which go-sasl no longer ships: prompt
// "Username:" (unless sent as the initial response), then "Password:".
// go-smtp stops calling Next once it reports done.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.step, l.user = 2, string(response)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}
