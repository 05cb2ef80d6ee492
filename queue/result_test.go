package queue_test

import (
	"testing"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

func TestResultReply(t *testing.T) {
	tests := []struct {
		reply dsn.Reply
		mta   string
		want  queue.Result
	}{
		{dsn.Reply{Code: 550, Status: dsn.Status{Class: 5, Subject: 1, Detail: 1}, Text: "no such user"}, "mx.fabrikam.com",
			queue.Result{Code: 550, Enhanced: "5.1.1", Text: "no such user", RemoteMTA: "mx.fabrikam.com"}},
		{dsn.Reply{Code: 250, Text: "queued"}, "", queue.Result{Code: 250, Text: "queued"}},
		{dsn.Reply{Code: 421, Status: dsn.Status{Class: 4, Subject: 3, Detail: 2}}, "", queue.Result{Code: 421, Enhanced: "4.3.2"}},
	}
	for _, tt := range tests {
		got := queue.ResultOf(tt.reply, tt.mta)
		if got != tt.want {
			t.Errorf("ResultOf(%+v, %q) = %+v, want %+v", tt.reply, tt.mta, got, tt.want)
		}
		if back := got.Reply(); back != tt.reply {
			t.Errorf("%+v.Reply() = %+v, want %+v", got, back, tt.reply)
		}
		if got.String() != tt.reply.String() {
			t.Errorf("String() %q, the reply's %q", got.String(), tt.reply.String())
		}
	}
	if r := (queue.Result{Code: 451, Enhanced: "4.x"}).Reply(); r != (dsn.Reply{Code: 451}) {
		t.Errorf("a malformed enhanced code is kept: %+v", r)
	}
}
