package perms

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleBody = "Hello,\r\n" +
	"X-MS-Exchange-Organization-SCL: -1\r\n" + // looks like a header, is body
	"Received: not a header either\r\n" +
	"\r\n.\r\nbare\nLF and trailing space \r\n"

func TestFilterStream(t *testing.T) {
	tests := []struct {
		name    string
		dir     Direction
		rights  Right
		wantHdr string
		removed int
	}{
		{"receive anonymous", Receive, AnonymousUsers.Grants()[0].Rights, keepLines("X-MS-Exchange-"), 4},
		{"receive servers", Receive, ReceiveRights, sampleHeader, 0},
		{"send partner", Send, SendRoutingHeaders, keepLines("X-MS-Exchange-"), 4},
		{"send custom", Send, 0, keepLines("X-MS-Exchange-", "Received", "Resent-"), 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			removed, err := Filter(&out, strings.NewReader(sampleHeader+sampleBody), tt.dir, tt.rights)
			require.NoError(t, err)
			assert.Len(t, removed, tt.removed)
			assert.Equal(t, tt.wantHdr+sampleBody, out.String())
		})
	}
}

func TestFilterStreamShapes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty message", "", "\r\n"},
		{"no body", "Subject: x\r\n\r\n", "Subject: x\r\n\r\n"},
		{"header without blank line", "Subject: x\r\n", "Subject: x\r\n\r\n"},
		{"ends inside a line", "Subject: x", "Subject: x\r\n\r\n"},
		{"only blank line", "\r\nbody", "\r\nbody"},
		{"bare LF header lines", "Received: a\n\tb\nSubject: x\n\nbody\n", "Subject: x\r\n\r\nbody\n"},
		{"space before colon", "Received \t: a\r\nResent-To : b\r\nTo: c\r\n\r\n", "To: c\r\n\r\n"},
		{"body starting with space", "To: c\r\n\r\n leading", "To: c\r\n\r\n leading"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Filter(&out, strings.NewReader(tt.in), Receive, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestFilterStreamMalformed(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"no colon", "Subject x\r\n\r\nbody"},
		{"leading continuation", " folded: x\r\n\r\n"},
		{"bad key", "Sub ject: x\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Filter(&out, strings.NewReader(tt.in), Send, SendRights)
			var he *HeaderError
			require.ErrorAs(t, err, &he)
			assert.ErrorIs(t, err, ErrMalformedHeader)
			assert.Zero(t, out.Len(), "nothing written on a header error")
		})
	}
}

func TestFilterHeaderLimit(t *testing.T) {
	msg := sampleHeader + sampleBody
	fw := Firewall{MaxHeaderBytes: len(sampleHeader)}
	var out bytes.Buffer
	_, err := fw.Filter(&out, strings.NewReader(msg), Receive, ReceiveRights)
	require.NoError(t, err, "a header exactly at the limit passes")
	assert.Equal(t, msg, out.String())

	fw.MaxHeaderBytes--
	out.Reset()
	_, err = fw.Filter(&out, strings.NewReader(msg), Receive, ReceiveRights)
	var tl *HeaderTooLargeError
	require.ErrorAs(t, err, &tl)
	assert.Equal(t, len(sampleHeader)-1, tl.Limit)
	assert.ErrorIs(t, err, ErrHeaderTooLarge)
	assert.Zero(t, out.Len())

	fw.MaxHeaderBytes = -1 // unlimited
	_, err = fw.Filter(io.Discard, strings.NewReader(msg), Receive, ReceiveRights)
	require.NoError(t, err)
}

// bomb is an endless header: one field folded forever, or one endless line.
type bomb struct {
	line []byte
	read int
}

func (b *bomb) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], b.line)
	}
	b.read += n
	return n, nil
}

func TestFilterHeaderBomb(t *testing.T) {
	for name, line := range map[string]string{
		"folded":   "X-A: b\r\n c\r\n c\r\n c\r\n",
		"one line": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"fields":   "X-A: b\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			src := &bomb{line: []byte(line)}
			_, err := Filter(io.Discard, src, Receive, 0)
			require.ErrorIs(t, err, ErrHeaderTooLarge)
			assert.LessOrEqual(t, src.read, DefaultMaxHeaderBytes+len(line)*1024)
		})
	}
}

var errBroken = errors.New("broken pipe")

type failAfter struct {
	r io.Reader
	n int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errBroken
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		n := max(f.n, 0)
		f.n = 0
		return n, errBroken
	}
	f.n -= len(p)
	return len(p), nil
}

func TestFilterIOErrors(t *testing.T) {
	msg := sampleHeader + sampleBody

	// Source fails inside the header: a read error, not a malformed header.
	_, err := Filter(io.Discard, &failAfter{r: strings.NewReader(msg), n: 10}, Receive, 0)
	require.ErrorIs(t, err, errBroken)
	assert.NotErrorIs(t, err, ErrMalformedHeader)
	assert.True(t, strings.HasPrefix(err.Error(), "perms: read message: "))

	// Source fails inside the body.
	_, err = Filter(io.Discard, &failAfter{r: strings.NewReader(msg), n: len(sampleHeader) + 3}, Receive, 0)
	require.ErrorIs(t, err, errBroken)

	// Destination fails in the header and in the body.
	for _, n := range []int{5, len(sampleHeader) + 3} {
		removed, err := Filter(&failAfter{n: n}, strings.NewReader(msg), Receive, ReceiveRights)
		require.ErrorIs(t, err, errBroken, n)
		assert.True(t, strings.HasPrefix(err.Error(), "perms: write message: "))
		assert.Nil(t, removed)
	}
}

// TestFilterBodyNotBuffered checks that memory use does not grow with the
// body: 16 MiB pass through with a small, fixed amount allocated.
func TestFilterBodyNotBuffered(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	src := io.MultiReader(strings.NewReader(sampleHeader), bytes.NewReader(body))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := &countWriter{}
	_, err := Filter(n, src, Send, SendRights)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, len(sampleHeader)+len(body), n.n)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10))
}

// countWriter has no ReadFrom, so the copy uses a fixed buffer.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
