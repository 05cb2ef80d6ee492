package wire_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func ExampleParseMail() {
	offered := wire.ExtSize | wire.Ext8BitMIME | wire.ExtSMTPUTF8 | wire.ExtDSN
	verb, arg := wire.ParseCommand([]byte("mail from: <jane@example.org> SIZE=1048576 BODY=8BITMIME RET=HDRS ENVID=QQ+2B314159"))
	m, err := wire.ParseMail(arg, offered)
	fmt.Println(verb, err)
	fmt.Printf("from=%s size=%d 8bit=%v ret=%s envid=%s\n", m.From, m.Size, m.Body == wire.Body8BitMIME, m.Ret, m.EnvID)

	// A parameter of an extension the server did not offer.
	// Errors are replies, ready for the client.
	_, err = wire.ParseMail([]byte("FROM:<jane@example.org> REQUIRETLS"), offered)
	var r *dsn.Reply
	if errors.As(err, &r) {
		fmt.Printf("%q\n", wire.AppendReply(nil, *r))
	}

	// A source route is dropped and a quoted local part unquoted.
	m, _ = wire.ParseMail([]byte(`FROM:<@relay.example:"jane doe"@example.org>`), offered)
	fmt.Println(m.From)
	// Output:
	// MAIL <nil>
	// from=jane@example.org size=1048576 8bit=true ret=HDRS envid=QQ+314159
	// "555 5.5.4 Parameter not recognized or not implemented\r\n"
	// jane doe@example.org
}

func ExampleDotReader() {
	conn := "Subject: dots\r\n\r\n..a line that starts with a dot\r\n" +
		"a bare LF\n.\r\nis data\r\n" +
		".\r\n" +
		"QUIT\r\n"
	br := bufio.NewReader(strings.NewReader(conn))
	msg, err := io.ReadAll(wire.NewDotReader(br, 1000))
	fmt.Printf("%q %v\n", msg, err)

	// The command after the message is still in br.
	line, _ := wire.ReadLine(br, 512)
	fmt.Printf("%s\n", line)
	// Output:
	// "Subject: dots\r\n\r\n.a line that starts with a dot\r\na bare LF\n.\r\nis data\r\n" <nil>
	// QUIT
}

func ExampleAppendReply() {
	var out []byte
	out = wire.AppendReply(out, dsn.Reply{Code: 250, Text: "mx.example.org Hello [192.0.2.1]\nPIPELINING\nSIZE 36700160\n8BITMIME"})
	out = wire.AppendReply(out, dsn.Reply{Code: 550, Status: dsn.Status{Class: 5, Subject: 7, Detail: 1}, Text: "Unable to relay"})
	os.Stdout.WriteString(strings.ReplaceAll(string(out), "\r\n", "<CRLF>\n"))
	// Output:
	// 250-mx.example.org Hello [192.0.2.1]<CRLF>
	// 250-PIPELINING<CRLF>
	// 250-SIZE 36700160<CRLF>
	// 250 8BITMIME<CRLF>
	// 550 5.7.1 Unable to relay<CRLF>
}

// A client writes the commands a server parses: here the parameters of
// extensions the server did not offer (DSN) are left out.
func ExampleAppendMail() {
	offered := wire.ExtSize | wire.Ext8BitMIME
	b, _ := wire.AppendMail(nil, wire.Mail{From: "jane@example.org", Size: 1048576,
		Body: wire.Body8BitMIME, Ret: "HDRS", EnvID: "QQ+314159"}, offered)
	b, _ = wire.AppendRcpt(b, wire.Rcpt{To: "bob@example.com", Notify: "NEVER"}, offered)
	fmt.Print(strings.ReplaceAll(string(b), "\r\n", "\n"))
	// Output:
	// MAIL FROM:<jane@example.org> BODY=8BITMIME SIZE=1048576
	// RCPT TO:<bob@example.com>
}
