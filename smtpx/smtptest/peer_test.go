package smtptest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx/smtptest"
)

func TestPeer(t *testing.T) {
	tests := []struct {
		name       string
		pipelining bool
		opts       []smtptest.PeerOption
		send       []string // each written at once, then every reply read
		replies    []string
		outOfStep  []string
		bodies     []string
	}{
		{
			name: "lock step",
			opts: []smtptest.PeerOption{smtptest.PeerRcpt("gone@b", "550 5.1.1 no such user")},
			send: []string{"MAIL FROM:<a@b>\r\n", "RCPT TO:<gone@b>\r\n", "RCPT TO:<c@b>\r\n", "DATA\r\n", "x\r\n.\r\n", "QUIT\r\n"},
			replies: []string{"250 2.1.0 ok", "550 5.1.1 no such user", "250 2.1.5 ok", "354 go ahead",
				"250 2.0.0 queued as 1", "221 2.0.0 bye"},
			bodies: []string{"x\n"},
		},
		{
			name:      "out of step",
			send:      []string{"MAIL FROM:<a@b>\r\nRCPT TO:<c@b>\r\n", "", "QUIT\r\n"},
			replies:   []string{"250 2.1.0 ok", "250 2.1.5 ok", "221 2.0.0 bye"},
			outOfStep: []string{"MAIL FROM:<a@b>"},
		},
		{
			name: "pipelining holds replies until DATA", pipelining: true,
			opts: []smtptest.PeerOption{smtptest.PeerPipelining()},
			send: []string{"MAIL FROM:<a@b>\r\nRCPT TO:<c@b>\r\nDATA\r\n", "", "", "x\r\n.\r\n", "QUIT\r\n"},
			replies: []string{"250 2.1.0 ok", "250 2.1.5 ok", "354 go ahead",
				"250 2.0.0 queued as 1", "221 2.0.0 bye"},
			bodies: []string{"x\n"},
		},
		{
			name: "no valid recipients", pipelining: true,
			opts:    []smtptest.PeerOption{smtptest.PeerPipelining(), smtptest.PeerMail("451 4.3.0 later")},
			send:    []string{"MAIL FROM:<a@b>\r\nRCPT TO:<c@b>\r\nDATA\r\n", "", ""},
			replies: []string{"451 4.3.0 later", "250 2.1.5 ok", "554 5.5.1 No valid recipients"},
		},
		{
			name: "421 hangs up", pipelining: true,
			opts:    []smtptest.PeerOption{smtptest.PeerPipelining(), smtptest.PeerRcpt("c@b", "421 4.3.2 bye")},
			send:    []string{"MAIL FROM:<a@b>\r\nRCPT TO:<c@b>\r\nRCPT TO:<d@b>\r\n", "", ""},
			replies: []string{"250 2.1.0 ok", "421 4.3.2 bye", "EOF"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peer := smtptest.NewPeer(t, tt.opts...)
			c, greeting := smtptest.Dial(t, peer.Addr())
			if ehlo := c.Cmd("EHLO client"); greeting != "220 peer ESMTP" || strings.Contains(ehlo, "PIPELINING") != tt.pipelining {
				t.Fatalf("greeting %q, EHLO %q", greeting, ehlo)
			}
			var got []string
			for _, s := range tt.send {
				if s == "" {
					got = append(got, c.ReadReply())
					continue
				}
				got = append(got, c.Send(s))
			}
			if !slices.Equal(got, tt.replies) {
				t.Errorf("replies %q\nwant    %q", got, tt.replies)
			}
			if oos := peer.OutOfStep(); !slices.Equal(oos, tt.outOfStep) {
				t.Errorf("out of step %q, want %q", oos, tt.outOfStep)
			}
			if b := peer.Bodies(); !slices.Equal(b, tt.bodies) {
				t.Errorf("bodies %q, want %q", b, tt.bodies)
			}
			if peer.Connections() != 1 || peer.Commands()[0] != "EHLO client" {
				t.Errorf("connections %d, commands %q", peer.Connections(), peer.Commands())
			}
		})
	}
}
