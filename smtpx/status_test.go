package smtpx

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
)

func TestStatus(t *testing.T) {
	temp := &dsn.Reply{Code: 451, Status: dsn.Status{Class: 4, Subject: 3, Detail: 0}, Text: "later"}
	tests := []struct {
		name string
		err  error
		want string // "" for nil
	}{
		{"nil", nil, ""},
		{"bare reply", temp, "451 4.3.0 later"},
		{"wrapped reply keeps its code", fmt.Errorf("queue: %w", temp), "451 4.3.0 later"},
		{"queue result", fmt.Errorf("route: %w", &queue.Result{Code: 550, Enhanced: "5.1.3", Text: "bad"}), "550 5.1.3 bad"},
		{"queue result without enhanced code", &queue.Result{Code: 450, Text: "busy"}, "450 busy"},
		{"queue closed", fmt.Errorf("x: %w", queue.ErrClosed), "421 4.3.2 Service not available, closing transmission channel"},
		{"disk full", fmt.Errorf("queue: commit: %w", &os.PathError{Op: "write", Path: "queue.db", Err: syscall.ENOSPC}), "452 4.3.1 Insufficient system storage"},
		{"queue too large", queue.ErrTooLarge, "552 5.3.4 Message size exceeds fixed maximum message size"},
		{"header too large", &perms.HeaderTooLargeError{Limit: 10}, "552 5.3.4 Header size exceeds fixed maximum size"},
		{"bad credentials", fmt.Errorf("plain: %w", auth.ErrInvalidCredentials), "535 5.7.8 Authentication unsuccessful"},
		{"TLS required", auth.ErrTLSRequired, "538 5.7.11 Encryption required for requested authentication mechanism"},
		{"unknown error is temporary", errors.New("disk on fire"), "451 4.3.0 Temporary server error. Please try again later"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Status(tc.err)
			if tc.want == "" {
				if got != nil {
					t.Fatalf("Status(nil) = %v", got)
				}
				return
			}
			if s := replyString(got); s != tc.want {
				t.Fatalf("Status = %q, want %q", s, tc.want)
			}
		})
	}
}

func TestStatusReturnsTheSameReply(t *testing.T) {
	// The reply found in the chain is the very value, not a copy.
	if got := Status(fmt.Errorf("a: %w", fmt.Errorf("b: %w", replyUnableToRelay))); got != replyUnableToRelay {
		t.Fatalf("got %p, want %p", got, replyUnableToRelay)
	}
}
