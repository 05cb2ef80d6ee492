// Command poolhub is the relay of the pool crash test: an anonymous relay
// (as examples/gateway -mode anonymous-relay) whose queue is a
// queue/pgstore store in a PostgreSQL database shared with the other hubs
// of the pool. It prints "listening on ADDR" once its receive connector
// is bound, and shuts down gracefully on SIGTERM or SIGINT.
//
// Its server name, the EHLO it sends the smart host, is HUB-eEPOCH.pool.contoso.com
// with the lease epoch this process registered under, so the receiving
// end can tell which process of which hub delivered each message.
//
//	poolhub -hub hub1 -dsn 'host=/tmp/pg port=5432 dbname=pool' -listen 127.0.0.1:2525 -smarthost 127.0.0.1:2526
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/transport"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "poolhub:", err)
		os.Exit(1)
	}
}

func run() error {
	hub := flag.String("hub", "", "this hub's name in the pool")
	dsn := flag.String("dsn", "", "PostgreSQL connection string of the pool's queue")
	listen := flag.String("listen", "127.0.0.1:2525", "binding of the receive connector")
	smartHost := flag.String("smarthost", "", "the smart host every message is relayed to")
	perHop := flag.Int("per-hop", 20, "concurrent deliveries to the smart host")
	lease := flag.Duration("lease", pgstore.DefaultLease, "how long the hub's messages stay its own after its last heartbeat")
	poison := flag.Int("poison", 2, "crashes during delivery after which a message moves to Poison")
	flag.Parse()
	if *hub == "" || *dsn == "" || *smartHost == "" {
		return fmt.Errorf("-hub, -dsn and -smarthost are required")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	s, err := pgstore.Open(ctx, pgstore.Config{DSN: *dsn, Hub: *hub, Lease: *lease, Logger: log})
	if err != nil {
		return err
	}
	sendCfg := connector.NewSendConfig("ToSink", connector.UsageInternet)
	sendCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	if sendCfg.SmartHosts, err = connector.ParseSmartHosts(*smartHost); err != nil {
		return err
	}
	sendCfg.DNSRoutingEnabled = false
	sendCfg.SmartHostAuthMechanism = auth.SmartHostNone
	send, err := sendCfg.Build()
	if err != nil {
		return err
	}
	recvCfg := connector.NewReceiveConfig("FromClients", connector.UsageCustom)
	if recvCfg.Bindings, err = connector.ParseBindings(*listen); err != nil {
		return err
	}
	recvCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.0/8")}
	recvCfg.Permissions = []connector.Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient}}
	recvCfg.PermissionGroups = perms.AnonymousUsers
	recv, err := recvCfg.Build()
	if err != nil {
		return err
	}
	_, epoch := s.Hub()
	t, err := transport.New(transport.WithServerName(fmt.Sprintf("%s-e%d.pool.contoso.com", *hub, epoch)), transport.WithLogger(log),
		transport.WithReceiveConnector(recv), transport.WithSendConnector(send), transport.WithQueueStore(s),
		transport.WithQueueOptions(queue.WithMaxPerHop(*perHop), queue.WithPoisonThreshold(*poison), queue.WithLogger(log)))
	if err != nil {
		s.Close()
		return err
	}
	if err := t.Start(ctx); err != nil {
		return err
	}
	// Admin commands from the rest of the pool (Resume-Message, ...).
	pgpool.Attach(t.Queue(), s)
	fmt.Printf("poolhub %s epoch %d: listening on %s\n", *hub, epoch, *listen)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return t.Shutdown(sctx)
}
