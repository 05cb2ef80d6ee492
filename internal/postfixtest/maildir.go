package postfixtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Message is one message Postfix delivered to a Maildir.
type Message struct {
	// Mailbox is the recipient Postfix delivered to, from the
	// Delivered-To field it adds ("local@domain", lower case).
	Mailbox string
	// Path is the message file.
	Path string
	// Header is the parsed header, including the Return-Path,
	// Delivered-To and Received fields Postfix added.
	Header mail.Header
	// Body is everything after the header's blank line.
	Body []byte
	// Raw is the whole file as delivered.
	Raw []byte
	// Delivered is the file's modification time.
	Delivered time.Time
}

// Received returns the topmost Received field: the one this Postfix
// wrote, e.g. "from client (unknown [127.0.0.1]) by mx... (Postfix) with
// ESMTPS id ... for <bob@fabrikam.example>; date".
func (m Message) Received() string {
	if r := m.Header["Received"]; len(r) > 0 {
		return r[0]
	}
	return ""
}

// Messages returns every delivered message, oldest first (ties by path).
func (in *Instance) Messages() ([]Message, error) {
	files, err := filepath.Glob(filepath.Join(in.dir.mail, maildirName, "[nc][eu][wr]", "*"))
	if err != nil {
		return nil, fmt.Errorf("postfixtest: %w", err)
	}
	msgs := make([]Message, 0, len(files))
	for _, f := range files {
		m, err := readMessage(f)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	slices.SortFunc(msgs, func(a, b Message) int {
		if c := a.Delivered.Compare(b.Delivered); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return msgs, nil
}

// WaitMessages waits until at least n messages were delivered and
// returns them all.
func (in *Instance) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	var (
		msgs []Message
		err  error
	)
	perr := poll(ctx, func() bool {
		msgs, err = in.Messages()
		return err != nil || len(msgs) >= n
	})
	if err != nil {
		return nil, err
	}
	if perr != nil {
		return msgs, fmt.Errorf("postfixtest: %d of %d messages delivered: %w\n--- maillog ---\n%s", len(msgs), n, perr, in.Log())
	}
	return msgs, nil
}

// readMessage reads one Maildir file.
func readMessage(path string) (Message, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Message{}, fmt.Errorf("postfixtest: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Message{}, fmt.Errorf("postfixtest: %w", err)
	}
	pm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("postfixtest: parsing %s: %w", path, err)
	}
	body, err := io.ReadAll(pm.Body)
	if err != nil {
		return Message{}, fmt.Errorf("postfixtest: %w", err)
	}
	return Message{
		Mailbox:   strings.ToLower(pm.Header.Get("Delivered-To")),
		Path:      path,
		Header:    pm.Header,
		Body:      body,
		Raw:       raw,
		Delivered: fi.ModTime(),
	}, nil
}
