package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		p    float64
		want time.Duration
	}{{0.5, 5}, {0.9, 9}, {0.99, 10}, {1, 10}, {0.01, 1}}
	for _, tt := range tests {
		if got := percentile(d, tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestMessageBody(t *testing.T) {
	for _, size := range []int{0, 1, 78, 79, 4096} {
		b := messageBody(size)
		_, payload, ok := bytes.Cut(b, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("size %d: no header/body separator", size)
		}
		if n := len(bytes.ReplaceAll(payload, []byte("\r\n"), nil)); n != size {
			t.Errorf("size %d: payload has %d bytes", size, n)
		}
		if !bytes.HasSuffix(b, []byte("\r\n")) || bytes.Contains(b, []byte("\r\n.")) {
			t.Errorf("size %d: body not CRLF-terminated or not dot-safe", size)
		}
	}
}

func TestLatencyLevel(t *testing.T) {
	f := newFakeSMTP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := latencyLevel(ctx, f.addr(), 3, 10, 2, messageBody(100), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.N != 10 || f.msgs.Load() != 10 || f.rcpts.Load() != 20 {
		t.Errorf("timed %d, server saw %d messages / %d recipients; want 10/10/20", st.N, f.msgs.Load(), f.rcpts.Load())
	}
	if st.P50 <= 0 || st.P50 > st.P99 || st.P99 > st.Max {
		t.Errorf("inconsistent percentiles %+v", st)
	}
	line := st.Line("hubedge")
	if !strings.HasPrefix(line, "latency relay=hubedge sessions=3 msgs=10 p50_ms=") {
		t.Errorf("Line = %q", line)
	}
}

func TestLatencyLevelRefused(t *testing.T) {
	f := newFakeSMTP(t)
	addr := f.addr()
	f.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := latencyLevel(ctx, addr, 2, 4, 1, messageBody(10), nil); err == nil {
		t.Error("latencyLevel against a closed port succeeded")
	}
}

// benchTLS is a server and a client configuration from a fresh bench PKI,
// the client trusting its CA as the bench's clients do.
func benchTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	pki, err := writePKI(t.TempDir(), keyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(pki.Cert, pki.Key)
	if err != nil {
		t.Fatal(err)
	}
	if client, err = clientTLS(pki.CA, groupsGo, false); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, client
}

// With a client TLS configuration every timed message crosses STARTTLS
// (the Go sink counts it as a TLS message); a server that offers no
// STARTTLS fails the level instead of being timed in plaintext.
func TestLatencyLevelSTARTTLS(t *testing.T) {
	serverTLS, clientCfg := benchTLS(t)
	tests := []struct {
		name      string
		serverTLS *tls.Config
		wantErr   string
	}{
		{"starttls", serverTLS, ""},
		{"refused", nil, "454"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			s := &goSink{tls: tt.serverTLS}
			go func() { _ = s.serve(ln) }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := latencyLevel(ctx, ln.Addr().String(), 3, 10, 1, messageBody(4096), clientCfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("latencyLevel = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Each session has read its last 250 before latencyLevel
			// returns, so the sink has counted every message.
			if st.N != 10 || s.mesg.Load() != 10 || s.tlsMsg.Load() != 10 || s.sess.Load() != 3 {
				t.Errorf("timed %d; sink counted %s; want 10 messages, all over TLS, in 3 sessions", st.N, s.record())
			}
		})
	}
}
