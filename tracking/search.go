package tracking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hubedge/hubedge/internal/logfile"
)

// DefaultResultSize is how many records Search returns when the Query
// does not say, as Get-MessageTrackingLog's ResultSize default.
const DefaultResultSize = 1000

// Unlimited as a Query's ResultSize returns every matching record.
const Unlimited = -1

// Query selects records the way Get-MessageTrackingLog's parameters do.
// Zero fields match everything; text is compared without regard to case.
type Query struct {
	// Sender matches sender-address or return-path.
	Sender string
	// Recipients matches records with any of these among their
	// recipient-address values.
	Recipients []string
	// MessageID matches message-id, with or without the angle brackets.
	MessageID         string
	InternalMessageID string
	EventID           EventID
	Source            Source
	// MessageSubject matches any subject that contains it.
	MessageSubject string
	Reference      string
	// Start and End bound date-time: at or after Start, before End.
	Start, End time.Time
	// ResultSize caps the records returned, oldest first: 0 means
	// DefaultResultSize, Unlimited (or any negative value) no cap. Ask
	// for one more than you show to learn whether more match.
	ResultSize int
}

// Matches reports whether r satisfies every field of q.
func (q *Query) Matches(r *Record) bool {
	switch {
	case !q.Start.IsZero() && r.Time.Before(q.Start),
		!q.End.IsZero() && !r.Time.Before(q.End),
		q.EventID != "" && !strings.EqualFold(string(q.EventID), string(r.EventID)),
		q.Source != "" && !strings.EqualFold(string(q.Source), string(r.Source)),
		q.InternalMessageID != "" && !strings.EqualFold(q.InternalMessageID, r.InternalMessageID),
		q.MessageID != "" && !strings.EqualFold(bare(q.MessageID), bare(r.MessageID)),
		q.Reference != "" && !strings.EqualFold(bare(q.Reference), bare(r.Reference)),
		q.Sender != "" && !strings.EqualFold(bare(q.Sender), bare(r.Sender)) && !strings.EqualFold(bare(q.Sender), bare(r.ReturnPath)),
		q.MessageSubject != "" && !containsFold(r.MessageSubject, q.MessageSubject):
		return false
	}
	if len(q.Recipients) == 0 {
		return true
	}
	for _, want := range q.Recipients {
		for _, got := range r.Recipients {
			if strings.EqualFold(bare(want), bare(got)) {
				return true
			}
		}
	}
	return false
}

// bare trims spaces and one pair of angle brackets.
func bare(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Search reads the MSGTRK*.log files of dir, oldest first, and returns the
// records q matches, at most q.ResultSize of them. Files whose day lies
// outside Start and End are not opened; lines that cannot be parsed (a
// file cut short by a crash) are skipped. It stops early when ctx ends.
func Search(ctx context.Context, dir string, q Query) ([]Record, error) {
	limit := q.ResultSize
	if limit == 0 {
		limit = DefaultResultSize
	}
	var out []Record
	for _, f := range logfile.List(dir, Prefix) {
		if !q.Start.IsZero() && !f.Day.Add(24*time.Hour).After(q.Start) || !q.End.IsZero() && !f.Day.Before(q.End) {
			continue
		}
		var err error
		if out, err = searchFile(ctx, f.Path, &q, out, limit); err != nil {
			return out, err
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

func searchFile(ctx context.Context, path string, q *Query, out []Record, limit int) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil // deleted by age or size since it was listed
	}
	if err != nil {
		return out, fmt.Errorf("tracking: %w", err)
	}
	defer f.Close()
	rd := NewReader(f)
	for n := 0; limit <= 0 || len(out) < limit; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		rec, err := rd.Next()
		var perr *ParseError
		switch {
		case err == io.EOF:
			return out, nil
		case errors.As(err, &perr):
			continue
		case err != nil:
			return out, fmt.Errorf("tracking: %s: %w", path, err)
		}
		if q.Matches(&rec) {
			out = append(out, rec)
		}
	}
	return out, nil
}
