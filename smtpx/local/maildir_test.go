package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/hubedge/hubedge/queue"
)

const crlfBody = "Subject: test\r\nFrom: alice@fabrikam.com\r\n\r\nHello.\r\n"

func newTestMaildir(t *testing.T, opts ...MaildirOption) *Maildir {
	t.Helper()
	md, err := NewMaildir(filepath.Join(t.TempDir(), "mail"), append([]MaildirOption{WithHostname("hub01")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// readMailbox returns the contents of every file in addr's new/ and checks
// that tmp/ is empty.
func readMailbox(t *testing.T, md *Maildir, addr string) []string {
	t.Helper()
	paths, err := md.Messages(addr)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	if tmp, err := os.ReadDir(filepath.Join(mustPath(t, md, addr), "tmp")); err == nil && len(tmp) != 0 {
		t.Errorf("%s: tmp/ not empty: %v", addr, tmp)
	}
	return out
}

func resultStrings(rs []queue.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

const ok250 = "250 2.0.0 Delivered to mailbox"

func TestMaildirDeliver(t *testing.T) {
	type want struct {
		addr  string
		files []string
	}
	for _, tc := range []struct {
		name    string
		opts    []MaildirOption
		from    string
		body    string
		rcpts   []string
		results []string
		boxes   []want
	}{
		{
			name: "one recipient", from: "alice@fabrikam.com", body: crlfBody,
			rcpts: []string{"bob@contoso.com"}, results: []string{ok250},
			boxes: []want{{"bob@contoso.com", []string{"Return-Path: <alice@fabrikam.com>\r\nDelivered-To: bob@contoso.com\r\n" + crlfBody}}},
		},
		{
			name: "several recipients and domains", from: "alice@fabrikam.com", body: crlfBody,
			rcpts:   []string{"bob@contoso.com", "Carol@CONTOSO.com", "dave@fabrikam.com"},
			results: []string{ok250, ok250, ok250},
			boxes: []want{
				{"bob@contoso.com", []string{"Return-Path: <alice@fabrikam.com>\r\nDelivered-To: bob@contoso.com\r\n" + crlfBody}},
				{"carol@contoso.com", []string{"Return-Path: <alice@fabrikam.com>\r\nDelivered-To: carol@contoso.com\r\n" + crlfBody}},
				{"dave@fabrikam.com", []string{"Return-Path: <alice@fabrikam.com>\r\nDelivered-To: dave@fabrikam.com\r\n" + crlfBody}},
			},
		},
		{
			name: "LF body gets LF headers, null sender", from: "", body: "Subject: x\n\nbody\n",
			rcpts: []string{"bob@contoso.com"}, results: []string{ok250},
			boxes: []want{{"bob@contoso.com", []string{"Return-Path: <>\nDelivered-To: bob@contoso.com\nSubject: x\n\nbody\n"}}},
		},
		{
			name: "same mailbox twice gets one copy", from: "a@b.example", body: crlfBody,
			rcpts: []string{"Bob@contoso.com", "bob@Contoso.COM"}, results: []string{ok250, ok250},
			boxes: []want{{"bob@contoso.com", []string{"Return-Path: <a@b.example>\r\nDelivered-To: bob@contoso.com\r\n" + crlfBody}}},
		},
		{
			name: "bad recipient does not stop the others", from: "a@b.example", body: crlfBody,
			rcpts:   []string{"../../etc@contoso.com", "bob@contoso.com", "nodomain"},
			results: []string{resultBadAddress.String(), ok250, resultBadAddress.String()},
			boxes:   []want{{"bob@contoso.com", []string{"Return-Path: <a@b.example>\r\nDelivered-To: bob@contoso.com\r\n" + crlfBody}}},
		},
		{
			name: "quoted local part is quoted again", from: `"a b"@b.example`, body: crlfBody,
			rcpts: []string{`"C D"@contoso.com`, `"e,f"@contoso.com`, "g.h@contoso.com"}, results: []string{ok250, ok250, ok250},
			boxes: []want{
				{"c d@contoso.com", []string{"Return-Path: <\"a b\"@b.example>\r\nDelivered-To: \"c d\"@contoso.com\r\n" + crlfBody}},
				{"e,f@contoso.com", []string{"Return-Path: <\"a b\"@b.example>\r\nDelivered-To: \"e,f\"@contoso.com\r\n" + crlfBody}},
				{"g.h@contoso.com", []string{"Return-Path: <\"a b\"@b.example>\r\nDelivered-To: g.h@contoso.com\r\n" + crlfBody}},
			},
		},
		{
			name: "header injection in sender is neutralised", from: "a@b.example>\r\nX-Evil: 1", body: crlfBody,
			rcpts: []string{"bob@contoso.com"}, results: []string{ok250},
			boxes: []want{{"bob@contoso.com", []string{"Return-Path: <a@b.example>X-Evil: 1>\r\nDelivered-To: bob@contoso.com\r\n" + crlfBody}}},
		},
		{
			name: "without Delivered-To", opts: []MaildirOption{WithDeliveredTo(false)}, from: "a@b.example", body: crlfBody,
			rcpts: []string{"bob@contoso.com", "carol@contoso.com"}, results: []string{ok250, ok250},
			boxes: []want{
				{"bob@contoso.com", []string{"Return-Path: <a@b.example>\r\n" + crlfBody}},
				{"carol@contoso.com", []string{"Return-Path: <a@b.example>\r\n" + crlfBody}},
			},
		},
		{
			name: "empty body", from: "a@b.example", body: "",
			rcpts: []string{"bob@contoso.com", "carol@contoso.com"}, results: []string{ok250, ok250},
			boxes: []want{
				{"bob@contoso.com", []string{"Return-Path: <a@b.example>\r\nDelivered-To: bob@contoso.com\r\n"}},
				{"carol@contoso.com", []string{"Return-Path: <a@b.example>\r\nDelivered-To: carol@contoso.com\r\n"}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := newTestMaildir(t, tc.opts...)
			opens := 0
			open := func() (io.ReadCloser, error) { opens++; return body(tc.body)() }
			env := &queue.Envelope{From: tc.from}
			res, err := md.deliver(t.Context(), env, open, rcptList(tc.rcpts...))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(resultStrings(res), "|"); got != strings.Join(tc.results, "|") {
				t.Errorf("results = %s\nwant      %s", got, strings.Join(tc.results, "|"))
			}
			if opens > 1 {
				t.Errorf("queue body opened %d times, want once", opens)
			}
			for _, b := range tc.boxes {
				got := readMailbox(t, md, b.addr)
				if strings.Join(got, "\x00") != strings.Join(b.files, "\x00") {
					t.Errorf("%s holds %q\nwant %q", b.addr, got, b.files)
				}
			}
		})
	}
}

func TestMaildirHardLinks(t *testing.T) {
	md := newTestMaildir(t, WithDeliveredTo(false))
	res, err := md.deliver(t.Context(), &queue.Envelope{From: "a@b.example"}, body(crlfBody), rcptList("bob@contoso.com", "carol@fabrikam.com"))
	if err != nil || !res[0].Success() || !res[1].Success() {
		t.Fatalf("deliver = %v, %v", res, err)
	}
	var infos []fs.FileInfo
	for _, a := range []string{"bob@contoso.com", "carol@fabrikam.com"} {
		p, _ := md.Messages(a)
		fi, err := os.Stat(p[0])
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, fi)
	}
	if !os.SameFile(infos[0], infos[1]) {
		t.Error("recipients' files are not hard links of one file")
	}
}

// TestMaildirPathTraversal feeds addresses meant to escape the root and
// checks that they fail with 5.1.3 and nothing appears outside the root.
func TestMaildirPathTraversal(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "mail")
	md, err := NewMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{
		"../../etc/passwd@contoso.com", "a/b@contoso.com", `a\b@contoso.com`, "..@contoso.com",
		".@contoso.com", ".hidden@contoso.com", "dot.@contoso.com", "a..b@contoso.com",
		"a\x00b@contoso.com", "a\nb@contoso.com", "a\rb@contoso.com", "a\x7fb@contoso.com",
		"a\u0085b@contoso.com", "\xff\xfe@contoso.com", "bob@../../x", "bob@contoso.com/../..",
		"bob@[127.0.0.1]", "bob@", "@contoso.com", "bob", "", "bob@..", "bob@.", "bob@a/b",
		strings.Repeat("x", 65) + "@contoso.com",
	}
	res, err := md.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList(bad...))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r != resultBadAddress {
			t.Errorf("%q: %v, want %v", bad[i], r, resultBadAddress)
		}
		if ok, err := md.Lookup(t.Context(), bad[i]); ok || err != nil {
			t.Errorf("Lookup(%q) = %v, %v; want false", bad[i], ok, err)
		}
	}
	// A WithPath mapping that tries to leave the root is refused as well.
	for _, p := range []string{"../outside", "/etc", "a/../../b", ".", ""} {
		md, err := NewMaildir(root, WithPath(func(string) (string, error) { return p, nil }))
		if err != nil {
			t.Fatal(err)
		}
		res, err := md.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList("bob@contoso.com"))
		if err != nil || res[0] != resultBadAddress {
			t.Errorf("WithPath %q: %v, %v; want %v", p, res, err, resultBadAddress)
		}
	}
	ents, err := os.ReadDir(base)
	if err != nil || len(ents) != 1 || ents[0].Name() != "mail" {
		t.Errorf("entries beside the root: %v, %v", ents, err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("root holds %v, want nothing", ents)
	}
}

func TestMaildirRequireExisting(t *testing.T) {
	root := t.TempDir()
	md, err := NewMaildir(root, WithRequireExisting())
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureMaildir(mustPath(t, md, "bob@contoso.com"), md.Root()); err != nil {
		t.Fatal(err)
	}
	res, err := md.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList("BOB@contoso.com", "eve@contoso.com", "x/y@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ok250, resultUnknown.String(), resultBadAddress.String()}
	if got := resultStrings(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("results = %v, want %v", got, want)
	}
	if _, err := os.Stat(mustPath(t, md, "eve@contoso.com")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("eve's Maildir was created: %v", err)
	}
	for addr, want := range map[string]bool{"bob@contoso.com": true, "Bob@Contoso.COM": true, "eve@contoso.com": false, "../x@contoso.com": false} {
		if got, err := md.Lookup(t.Context(), addr); got != want || err != nil {
			t.Errorf("Lookup(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	// Without the option every valid address is deliverable.
	auto := newTestMaildir(t)
	if ok, _ := auto.Lookup(t.Context(), "anyone@contoso.com"); !ok {
		t.Error("auto-create Maildir does not accept anyone@contoso.com")
	}
	if _, err := NewMaildir(filepath.Join(t.TempDir(), "missing"), WithRequireExisting()); err == nil {
		t.Error("NewMaildir with a missing root and WithRequireExisting succeeded")
	}
}

func TestMaildirWithPath(t *testing.T) {
	ldapDown := errors.New("ldap down")
	mapping := func(addr string) (string, error) {
		switch addr {
		case "bob@contoso.com", "robert@contoso.com":
			return "users/bob/Maildir", nil
		case "gone@contoso.com":
			return "", fmt.Errorf("lookup: %w", ErrUnknownMailbox)
		case "full@contoso.com":
			return "", &queue.Result{Code: 552, Enhanced: "5.2.2", Text: "Mailbox full"}
		}
		return "", ldapDown
	}
	md := newTestMaildir(t, WithPath(mapping))
	res, err := md.deliver(t.Context(), &queue.Envelope{From: "a@b.example"}, body(crlfBody),
		rcptList("Bob@contoso.com", "robert@contoso.com", "gone@contoso.com", "full@contoso.com", "who@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ok250, ok250, resultUnknown.String(), "552 5.2.2 Mailbox full", "451 4.3.0 Local delivery failed"}
	if got := resultStrings(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("results = %v\nwant %v", got, want)
	}
	if got := mustPath(t, md, "bob@contoso.com"); got != filepath.Join(md.Root(), "users", "bob", "Maildir") {
		t.Errorf("Path = %s", got)
	}
	// Two addresses, one Maildir: two copies, each with its Delivered-To.
	files := readMailbox(t, md, "bob@contoso.com")
	if len(files) != 2 || !strings.Contains(strings.Join(files, ""), "Delivered-To: robert@contoso.com\r\n") {
		t.Errorf("bob's Maildir = %q", files)
	}
	if ok, err := md.Lookup(t.Context(), "who@contoso.com"); ok || !errors.Is(err, ldapDown) {
		t.Errorf("Lookup with failing mapping = %v, %v; want error", ok, err)
	}
	if ok, err := md.Lookup(t.Context(), "gone@contoso.com"); ok || err != nil {
		t.Errorf("Lookup(gone) = %v, %v; want false, nil", ok, err)
	}
}

func TestMaildirDiskErrors(t *testing.T) {
	md := newTestMaildir(t)
	// bob's "tmp" is a file, so his Maildir cannot be written: 4.3.0, and
	// carol still gets the message, read from the queue afresh.
	bob := mustPath(t, md, "bob@contoso.com")
	if err := os.MkdirAll(bob, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bob, "tmp"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := md.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList("bob@contoso.com", "carol@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Code != 451 || res[0].Enhanced != "4.3.0" || !res[1].Success() {
		t.Errorf("results = %v", res)
	}
	if strings.Contains(res[0].Text, md.Root()) {
		t.Errorf("result text leaks the path: %q", res[0].Text)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, "452 4.3.1 Insufficient system resources"},
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.EDQUOT}, "452 4.2.2 Mailbox full"},
		{&os.LinkError{Op: "rename", Old: "/a", New: "/b", Err: syscall.EIO}, "451 4.3.0 Local delivery failed: " + syscall.EIO.Error()},
	} {
		if got := diskResult(tc.err).String(); got != tc.want {
			t.Errorf("diskResult(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// failingBody yields n bytes then fails.
type failingBody struct{ n int }

func (f *failingBody) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("store: chunk missing")
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func (f *failingBody) Close() error { return nil }

func TestMaildirSourceErrors(t *testing.T) {
	storeErr := errors.New("store: gone")
	for _, tc := range []struct {
		name string
		open func() (io.ReadCloser, error)
		ctx  func() context.Context
	}{
		{"open fails", func() (io.ReadCloser, error) { return nil, storeErr }, context.Background},
		{"read fails", func() (io.ReadCloser, error) { return &failingBody{n: 100 << 10}, nil }, context.Background},
		{"ctx done", body(crlfBody), func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := newTestMaildir(t)
			res, err := md.deliver(tc.ctx(), &queue.Envelope{}, tc.open, rcptList("bob@contoso.com", "carol@contoso.com"))
			if err == nil {
				t.Fatalf("deliver = %v, want an error", res)
			}
			for _, a := range []string{"bob@contoso.com", "carol@contoso.com"} {
				if files := readMailbox(t, md, a); len(files) != 0 {
					t.Errorf("%s got %d files", a, len(files))
				}
			}
		})
	}
}

// TestMaildirInterrupted cancels ctx once the first copy is written: the
// delivered recipient keeps its 250, the rest are deferred, no error.
func TestMaildirInterrupted(t *testing.T) {
	md := newTestMaildir(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	open := func() (io.ReadCloser, error) {
		return io.NopCloser(&cancelAtEOF{r: strings.NewReader(crlfBody), cancel: cancel}), nil
	}
	res, err := md.deliver(ctx, &queue.Envelope{}, open, rcptList("bob@contoso.com", "x/y@contoso.com", "carol@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ok250, resultInterrupt.String(), resultInterrupt.String()}
	if got := resultStrings(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("results = %v, want %v", got, want)
	}
}

type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

func TestMaildirConcurrent(t *testing.T) {
	md := newTestMaildir(t)
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			res, err := md.deliver(context.Background(), &queue.Envelope{}, body(crlfBody), rcptList("bob@contoso.com"))
			if err != nil || !res[0].Success() {
				t.Errorf("deliver = %v, %v", res, err)
			}
		})
	}
	wg.Wait()
	if files := readMailbox(t, md, "bob@contoso.com"); len(files) != n {
		t.Errorf("%d files, want %d", len(files), n)
	}
}

func TestMaildirMessages(t *testing.T) {
	md := newTestMaildir(t)
	if files, err := md.Messages("nobody@contoso.com"); files != nil || err != nil {
		t.Errorf("Messages(new mailbox) = %v, %v", files, err)
	}
	if _, err := md.Messages("../x@contoso.com"); !errors.Is(err, ErrBadAddress) {
		t.Errorf("Messages(bad) error = %v", err)
	}
	if _, err := NewMaildir(""); err == nil {
		t.Error("NewMaildir(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMaildir(file, WithRequireExisting()); err == nil {
		t.Error("NewMaildir(file) succeeded")
	}
}

func TestUniqueName(t *testing.T) {
	md, err := NewMaildir(t.TempDir(), WithHostname("hub/01:x"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := md.uniqueName(), md.uniqueName()
	if a == b {
		t.Fatalf("two deliveries named %q", a)
	}
	if !strings.HasSuffix(a, `.hub\05701\072x`) || strings.ContainsAny(a, "/:") {
		t.Errorf("name %q: host not escaped", a)
	}
	var sec, usec, pid, q int
	var rnd string
	if _, err := fmt.Sscanf(a, "%d.M%dP%dQ%dR%16s", &sec, &usec, &pid, &q, &rnd); err != nil || pid != os.Getpid() || q != 1 {
		t.Errorf("name %q does not parse: %v (pid %d q %d)", a, err, pid, q)
	}
}
