// Command hubedge is a hub or edge transport server configured by Exchange
// Management Shell scripts: the New-SendConnector, New-ReceiveConnector,
// Add-ADPermission, Set-TransportServer ... lines an administrator of the
// reference system already writes.
//
//	hubedge check [-server NAME] [-role hub|edge] FILE...   parse and validate; exit 1 with FILE:LINE:COL errors
//	hubedge show  [-server NAME] [-role hub|edge] [-json] FILE...   print the configuration
//	hubedge run   [-server NAME] [-role hub|edge] [flags] FILE...   run the transport
//	hubedge [-manage ADDR -manage-token FILE] Get-Queue ...   a management cmdlet against a running server
//
// A server starts from what setup creates on a fresh machine of its role
// (a Hub's "Default NAME" and "Client NAME" receive connectors, an Edge's
// "Default internal Receive connector NAME"), then applies the scripts in
// order, as if typed into the shell. `hubedge run -h` lists what comes from
// flags rather than from the script (the queue directory, mailboxes,
// certificates, the credentials file). SIGHUP re-reads the scripts; SIGINT
// and SIGTERM stop the server gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hubedge/hubedge/internal/cli"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: hubedge <command> [flags] FILE...

hubedge runs a hub or edge transport server from Exchange Management Shell
scripts (.ps1 files of New-SendConnector, New-ReceiveConnector,
Add-ADPermission, Set-TransportServer ... lines).

commands:
  check   parse and validate the scripts; errors as FILE:LINE:COL: Cmdlet: message
  show    print the configuration the scripts describe (-json for the JSON form)
  run     run the transport server the scripts describe
  Get-Queue, Get-Message, Retry-Queue, Suspend-Queue, Resume-Queue,
  Suspend-Message, Resume-Message, Remove-Message, Export-Message,
  Get-MessageTrackingLog, Get-SendConnector, Get-ReceiveConnector,
  Get-AcceptedDomain
          the cmdlet, against a running server's management API
          (-manage ADDR -manage-token FILE before the cmdlet, or
          $HUBEDGE_MANAGE and $HUBEDGE_MANAGE_TOKEN)

"hubedge <command> -h" lists a command's flags. Try:
  hubedge check -server Edge01 -role edge examples/scripts/edge.ps1
`

// exit codes, as Go's own tools use them.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "check":
		err = check(rest, stdout, stderr)
	case "show":
		err = show(rest, stdout, stderr)
	case "run":
		err = run(ctx, rest, stdout, stderr)
	default:
		if !isCmdlet(cmd) && !strings.HasPrefix(cmd, "-manage") {
			fmt.Fprintf(stderr, "hubedge: unknown command %q\n\n%s", cmd, usage)
			return exitUsage
		}
		err = clientCommand(ctx, args, stdout, stderr)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage), errors.Is(err, cli.ErrUsage):
		fmt.Fprintf(stderr, "hubedge: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "%v\n", err)
		return exitFail
	}
}

// errUsage marks a command line the command cannot run with.
var errUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
