package smtptest

import (
	"net/textproto"
	"strings"
	"testing"
)

// step is one line sent by a scripted client and the reply it expects
// (a prefix of the last line of a possibly multi-line reply).
type step struct {
	send string
	want string
}

// runScript dials sink, checks the greeting and plays steps.
func runScript(t *testing.T, sink *Sink, steps []step) {
	t.Helper()
	c, err := textproto.Dial("tcp", sink.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	for _, st := range steps {
		if err := c.PrintfLine("%s", st.send); err != nil {
			t.Fatal(err)
		}
		line, err := lastReplyLine(c)
		if err != nil {
			t.Fatalf("after %q: %v", st.send, err)
		}
		if !strings.HasPrefix(line, st.want) {
			t.Fatalf("after %q: got %q, want %q...", st.send, line, st.want)
		}
	}
}

func lastReplyLine(c *textproto.Conn) (string, error) {
	for {
		line, err := c.ReadLine()
		if err != nil || len(line) < 4 || line[3] != '-' {
			return line, err
		}
	}
}

func TestSinkScripts(t *testing.T) {
	auth := []SinkOption{RequireAuth("user", "pass"), AllowInsecureAuth()}
	tests := []struct {
		name  string
		opts  []SinkOption
		steps []step
	}{
		{"login without initial response", auth, []step{
			{"EHLO hub1.contoso.com", "250 "},
			{"AUTH LOGIN", "334 VXNlcm5hbWU6"}, // "Username:"
			{"dXNlcg==", "334 UGFzc3dvcmQ6"},   // "Password:"
			{"cGFzcw==", "235 2.0.0"},
			{"MAIL FROM:<a@contoso.com>", "250 "},
		}},
		{"plain without initial response", auth, []step{
			{"EHLO hub1.contoso.com", "250 "},
			{"AUTH PLAIN", "334 "},
			{"AHVzZXIAcGFzcw==", "235 2.0.0"},
		}},
		{"auth cancelled", auth, []step{
			{"EHLO hub1.contoso.com", "250 "},
			{"AUTH LOGIN", "334 "},
			{"*", "501 5.0.0"},
			{"MAIL FROM:<a@contoso.com>", "530 5.7.0"},
		}},
		{"unknown mechanism", auth, []step{
			{"EHLO hub1.contoso.com", "250 "},
			{"AUTH CRAM-MD5", "504 5.7.4"},
		}},
		{"auth not configured", []SinkOption{AllowInsecureAuth()}, []step{
			{"EHLO hub1.contoso.com", "250 "},
			{"AUTH PLAIN AHVzZXIAcGFzcw==", "502 5.7.0"},
		}},
		{"re-authentication", auth, []step{
			{"EHLO hub1.contoso.com", "250 "},
			{"AUTH PLAIN AHVzZXIAcGFzcw==", "235 "},
			{"AUTH PLAIN AHVzZXIAcGFzcw==", "503 5.5.1"},
		}},
		{"lmtp wants LHLO", []SinkOption{LMTP()}, []step{
			{"EHLO hub1.contoso.com", "500 5.5.1"},
			{"LHLO hub1.contoso.com", "250 "},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runScript(t, NewSink(t, tt.opts...), tt.steps)
		})
	}
}
