package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// goSink is the bench's own SMTP sink: it accepts any envelope and
// message, offers STARTTLS when it has a certificate, and counts sessions
// and messages (and how many of them came over TLS). It answers a
// pipelined group of commands in one write, as smtp-sink does. With
// chunking it offers CHUNKING too and takes BDAT (RFC 3030), as Postfix's
// smtpd and Exchange do; smtp-sink does not.
type goSink struct {
	tls                      *tls.Config // nil: no STARTTLS
	chunking                 bool
	sess, quit, mesg, tlsMsg atomic.Int64
	resumed                  atomic.Int64 // TLS sessions resumed from a ticket
}

// record is the counter line in smtp-sink -c's layout, so the harness
// reads both sinks alike; tls= is ours.
func (s *goSink) record() string {
	return fmt.Sprintf("sess=%d quit=%d mesg=%d tls=%d resumed=%d\r",
		s.sess.Load(), s.quit.Load(), s.mesg.Load(), s.tlsMsg.Load(), s.resumed.Load())
}

func (s *goSink) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		s.sess.Add(1)
		go s.session(c)
	}
}

// session runs one SMTP session; any I/O error ends it.
func (s *goSink) session(c net.Conn) {
	defer c.Close()
	br, bw := bufio.NewReaderSize(c, 4096), bufio.NewWriterSize(c, 4096)
	inTLS := false
	reply := func(line string) error {
		bw.WriteString(line)
		if br.Buffered() > 0 {
			return nil // more pipelined commands to answer in the same write
		}
		return bw.Flush()
	}
	if reply("220 gosink.bench.example ESMTP\r\n") != nil {
		return
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		verb := bytes.ToUpper(bytes.TrimRight(line, "\r\n"))
		if i := bytes.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		}
		switch string(verb) {
		case "EHLO":
			ext := "250-gosink.bench.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
			if s.tls != nil && !inTLS {
				ext += "250-STARTTLS\r\n"
			}
			if s.chunking {
				ext += "250-CHUNKING\r\n"
			}
			err = reply(ext + "250 SIZE 0\r\n")
		case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
			err = reply("250 2.0.0 Ok\r\n")
		case "STARTTLS":
			if s.tls == nil || inTLS || br.Buffered() > 0 {
				err = reply("454 4.7.0 TLS not available\r\n")
				break
			}
			if err = reply("220 2.0.0 Ready to start TLS\r\n"); err != nil {
				return
			}
			tc := tls.Server(c, s.tls)
			if err = tc.Handshake(); err != nil {
				return
			}
			if tc.ConnectionState().DidResume {
				s.resumed.Add(1)
			}
			c, inTLS = tc, true
			br.Reset(tc)
			bw.Reset(tc)
		case "DATA":
			if err = reply("354 End data with <CR><LF>.<CR><LF>\r\n"); err != nil {
				return
			}
			if err = readData(br); err != nil {
				return
			}
			s.mesg.Add(1)
			if inTLS {
				s.tlsMsg.Add(1)
			}
			err = reply("250 2.0.0 Ok: queued\r\n")
		case "BDAT":
			last, err := readChunk(br, line)
			switch {
			case err != nil:
				return // without its size the chunk cannot be skipped
			case !last:
				err = reply("250 2.0.0 Ok: chunk received\r\n")
			default:
				s.mesg.Add(1)
				if inTLS {
					s.tlsMsg.Add(1)
				}
				err = reply("250 2.0.0 Ok: queued\r\n")
			}
			if err != nil {
				return
			}
		case "QUIT":
			s.quit.Add(1)
			_ = reply("221 2.0.0 Bye\r\n")
			return
		default:
			err = reply("502 5.5.2 Error: command not recognized\r\n")
		}
		if err != nil {
			return
		}
	}
}

// errLongLine ends a session whose DATA line does not fit the buffer; no
// bench client sends one.
var errLongLine = errors.New("bench: sink: line too long")

// readData consumes a message up to and including the "." line.
func readData(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return errLongLine
		}
		if err != nil {
			return err
		}
		if len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			return nil
		}
	}
}

// readChunk consumes the octets of the BDAT command line and reports
// whether it was the LAST chunk.
func readChunk(br *bufio.Reader, line []byte) (last bool, err error) {
	f := bytes.Fields(line)
	if len(f) < 2 || len(f) > 3 || len(f) == 3 && !bytes.EqualFold(f[2], []byte("LAST")) {
		return false, errBadChunk
	}
	n, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || n < 0 {
		return false, errBadChunk
	}
	_, err = br.Discard(int(n))
	return len(f) == 3, err
}

var errBadChunk = errors.New("bench: sink: malformed BDAT")

// goSinkMain is the "_gosink" mode: the sink as a process of its own, so
// its CPU is measured apart from the harness. It prints its counter record
// to stdout whenever it changed, at most every 10 ms, until SIGTERM.
func goSinkMain(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("_gosink", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:2525", "address to listen on")
	cert := fs.String("cert", "", "certificate chain (PEM); with -key, offer STARTTLS")
	key := fs.String("key", "", "private key (PEM)")
	chunking := fs.Bool("chunking", false, "offer CHUNKING and take BDAT")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s := &goSink{chunking: *chunking}
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: sink:", err)
			return 1
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{pair}}
	}
	ln, err := net.Listen("tcp4", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: sink:", err)
		return 1
	}
	go func() { _ = s.serve(ln) }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			fmt.Fprint(stdout, s.record())
			return 0
		case <-tick.C:
			if r := s.record(); r != last {
				fmt.Fprint(stdout, r)
				last = r
			}
		}
	}
}
