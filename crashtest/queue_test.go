package crashtest

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/hubedge/hubedge/queue"
)

// poisonedMessage is a message the relay's queue moved to Poison.
type poisonedMessage struct {
	queueID   queue.ID
	messageID string
	crashes   int
}

// resumePoison opens the stopped relay's queue, resumes every message in
// the Poison queue (Resume-Message resubmits it) and reports them with
// their Message-IDs, read from the exported copy.
func resumePoison(dir string) ([]poisonedMessage, error) {
	q, err := queue.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("crashtest: open the relay's queue: %w", err)
	}
	var out []poisonedMessage
	for _, mi := range q.Messages(queue.Filter{Queue: queue.QueuePoison}) {
		var eml bytes.Buffer
		if err := q.Export(mi.ID, &eml); err != nil {
			q.Close(context.Background())
			return nil, fmt.Errorf("crashtest: export poison message %s: %w", mi.ID, err)
		}
		m, err := mail.ReadMessage(&eml)
		if err != nil {
			q.Close(context.Background())
			return nil, fmt.Errorf("crashtest: poison message %s: %w", mi.ID, err)
		}
		if err := q.ResumeMessage(mi.ID); err != nil {
			q.Close(context.Background())
			return nil, fmt.Errorf("crashtest: resume poison message %s: %w", mi.ID, err)
		}
		out = append(out, poisonedMessage{queueID: mi.ID, messageID: m.Header.Get("Message-Id"), crashes: mi.Crashes})
	}
	return out, q.Close(context.Background())
}

// queueState opens the stopped relay's queue and describes what is left
// in it, "" when it is empty.
func queueState(dir string) (string, error) {
	q, err := queue.Open(dir)
	if err != nil {
		return "", fmt.Errorf("crashtest: open the relay's queue: %w", err)
	}
	var b strings.Builder
	for _, mi := range q.Messages(queue.Filter{}) {
		fmt.Fprintf(&b, "  %s status %s queues %v crashes %d retries %d last error %q\n",
			mi.ID, mi.Status, mi.Queues, mi.Crashes, mi.RetryCount, mi.LastError)
	}
	return b.String(), q.Close(context.Background())
}
