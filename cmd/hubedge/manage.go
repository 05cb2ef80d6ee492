package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/tracking"
)

// manageFlags say where the management API listens: a loopback address or
// a Unix socket, never a public address, always behind a token.
type manageFlags struct {
	addr, tokenFile string
}

func (m *manageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.addr, "manage", "", "serve the management API, Queue Viewer and /metrics on a loopback `address` (127.0.0.1:8025) or unix:PATH")
	fs.StringVar(&m.tokenFile, "manage-token", "", "file holding the management API's bearer token (mode 0600, at least 16 characters)")
}

// mgmtServer is the management listener; a nil one is off.
type mgmtServer struct {
	ln    net.Listener
	token string
	srv   *http.Server
}

// listen opens the listener before the transport starts, so that a bad
// address or token fails the start rather than a running server.
func (m *manageFlags) listen() (*mgmtServer, error) {
	if m.addr == "" {
		if m.tokenFile != "" {
			return nil, usagef("-manage-token needs -manage")
		}
		return nil, nil
	}
	if m.tokenFile == "" {
		return nil, usagef("-manage needs -manage-token: the API never runs unauthenticated")
	}
	tok, err := manage.ReadTokenFile(m.tokenFile)
	if err != nil {
		return nil, err
	}
	var ln net.Listener
	if path, ok := strings.CutPrefix(m.addr, "unix:"); ok {
		ln, err = listenUnix(path)
	} else {
		ln, err = listenLoopback(m.addr)
	}
	if err != nil {
		return nil, err
	}
	return &mgmtServer{ln: ln, token: tok}, nil
}

func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("-manage %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, usagef("-manage %q: the management API listens only on a loopback address or a Unix socket", addr)
	}
	return net.Listen("tcp", addr)
}

func listenUnix(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// serve starts the API over q, with more options (a pool's view), and
// returns the metrics it exports (nil when the API is off).
func (s *mgmtServer) serve(log *slog.Logger, q *queue.Queue, track *tracking.Log, server string, cfg func() *cmdlet.Config, more ...manage.Option) *manage.Metrics {
	if s == nil {
		return nil
	}
	metrics := manage.NewMetrics(q, nil)
	opts := []manage.Option{manage.WithServerName(server), manage.WithToken(s.token), manage.WithQueue(q),
		manage.WithMetrics(metrics), manage.WithLogger(log), manage.WithConfig(func() manage.Config { return views(cfg(), server) })}
	opts = append(opts, more...)
	if track != nil {
		opts = append(opts, manage.WithTracking(track))
	}
	h, err := manage.New(opts...)
	if err != nil { // the options above are all valid; New fails only without auth
		log.Error("management API not started", "err", err)
		return nil
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("management API stopped", "err", err)
		}
	}()
	return metrics
}

func (s *mgmtServer) addr() string {
	if s.ln.Addr().Network() == "unix" {
		return "unix:" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

func (s *mgmtServer) close() {
	if s == nil {
		return
	}
	if s.srv == nil {
		s.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}

// views is what the read-only connector views show: the configuration of
// this server, as declared (passwords are never part of a view).
func views(cfg *cmdlet.Config, server string) manage.Config {
	send, receive := cfg.ForServer(server)
	var v manage.Config
	for _, s := range send {
		v.SendConnectors = append(v.SendConnectors, s.Config)
	}
	for _, r := range receive {
		v.ReceiveConnectors = append(v.ReceiveConnectors, r.Config)
	}
	for _, d := range cfg.AcceptedDomains {
		v.AcceptedDomains = append(v.AcceptedDomains, manage.AcceptedDomain{Name: d.Name, AcceptedDomain: d.AcceptedDomain})
	}
	return v
}

// clientCommand runs one management cmdlet against a running server:
// hubedge [-manage ADDR] [-manage-token FILE] Get-Queue -Status Retry.
// The address and token file may also come from HUBEDGE_MANAGE and
// HUBEDGE_MANAGE_TOKEN.
func clientCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("Get-Queue", stderr, "[-manage ADDR] [-manage-token FILE] <Cmdlet> [-Parameter value ...] [-json]")
	addr := fs.String("manage", os.Getenv("HUBEDGE_MANAGE"), "the management API: http://127.0.0.1:8025 or unix:PATH (default $HUBEDGE_MANAGE)")
	tokenFile := fs.String("manage-token", os.Getenv("HUBEDGE_MANAGE_TOKEN"), "file holding the bearer token (default $HUBEDGE_MANAGE_TOKEN)")
	// The flags come before the cmdlet; what follows it is the cmdlet's own.
	i := 0
	for i < len(args) && !isCmdlet(args[i]) {
		i++
	}
	if err := fs.Parse(args[:i]); err != nil {
		return err
	}
	if i == len(args) || fs.NArg() > 0 {
		return usagef("no cmdlet to run (e.g. Get-Queue)")
	}
	if manage.AsksHelp(args[i+1:]) { // needs no server
		_, err := fmt.Fprintln(stdout, manage.Syntax(args[i]))
		return err
	}
	if *addr == "" || *tokenFile == "" {
		return usagef("%s needs -manage ADDR and -manage-token FILE (or HUBEDGE_MANAGE and HUBEDGE_MANAGE_TOKEN)", args[i])
	}
	if !strings.Contains(*addr, "://") && !strings.HasPrefix(*addr, "unix:") {
		*addr = "http://" + *addr
	}
	tok, err := manage.ReadTokenFile(*tokenFile)
	if err != nil {
		return err
	}
	cl, err := manage.NewClient(*addr, tok, nil)
	if err != nil {
		return err
	}
	return cl.Run(ctx, stdout, args[i:])
}

// isCmdlet reports whether word is a Verb-Noun cmdlet name such as
// Get-Queue (a flag starts with '-').
func isCmdlet(word string) bool {
	verb, noun, ok := strings.Cut(word, "-")
	return ok && verb != "" && noun != "" && !strings.ContainsFunc(word, func(r rune) bool {
		return !(r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	})
}
