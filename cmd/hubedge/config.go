package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hubedge/hubedge/cmdlet"
)

// scriptFlags say which server the scripts configure and where their
// credentials come from; check, show and run share them.
type scriptFlags struct {
	server      string
	role        string
	credentials string
	files       []string
}

func (f *scriptFlags) register(fs *flag.FlagSet) {
	host, _ := os.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	fs.StringVar(&f.server, "server", host, "the server name the scripts' -Server and -SourceTransportServers are matched against")
	fs.StringVar(&f.role, "role", "hub", "the server role whose setup defaults the scripts start from: hub or edge")
	fs.StringVar(&f.credentials, "credentials", "", "credentials file: one `name user password-file` line per $name = Get-Credential")
}

// parse parses args into f; the remaining arguments are the script files.
func (f *scriptFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	f.files = fs.Args()
	switch {
	case len(f.files) == 0:
		return usagef("%s: no script files", fs.Name())
	case f.role != "hub" && f.role != "edge":
		return usagef("-role %q: want hub or edge", f.role)
	case f.server == "":
		return usagef("-server is required (no host name to default to)")
	}
	return nil
}

// load reads the scripts in order onto the server's setup defaults. It
// reports every error of a script, and stops at the first script with any.
func (f *scriptFlags) load() (*cmdlet.Config, error) {
	opts := cmdlet.Options{Edge: f.role == "edge", Server: f.server}
	if f.credentials != "" {
		creds, err := cmdlet.LoadCredentials(f.credentials)
		if err != nil {
			return nil, err
		}
		opts.Credentials = creds
	}
	cfg, err := cmdlet.DefaultConfig(f.server, opts.Edge)
	if err != nil {
		return nil, err
	}
	for _, file := range f.files {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if cfg, err = cmdlet.Load(file, src, cfg, opts); err != nil {
			if strings.Contains(err.Error(), `no receive connector "Default`) || strings.Contains(err.Error(), `no receive connector "Client`) {
				return nil, fmt.Errorf("%w\n(the scripts start from the setup defaults of a %s named %s: check -server and -role)", err, f.role, f.server)
			}
			return nil, err
		}
	}
	return cfg, nil
}

func newFlagSet(name string, stderr io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: hubedge %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func check(args []string, stdout, stderr io.Writer) error {
	var sf scriptFlags
	fs := newFlagSet("check", stderr, "check [-server NAME] [-role hub|edge] [-credentials FILE] FILE...")
	sf.register(fs)
	if err := sf.parse(fs, args); err != nil {
		return err
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	send, receive := cfg.ForServer(sf.server)
	_, err = fmt.Fprintf(stdout, "%s: ok (%d send connectors, %d receive connectors for %s, %d accepted domains)\n",
		strings.Join(sf.files, ", "), len(send), len(receive), sf.server, len(cfg.AcceptedDomains))
	return err
}

func show(args []string, stdout, stderr io.Writer) error {
	var sf scriptFlags
	fs := newFlagSet("show", stderr, "show [-server NAME] [-role hub|edge] [-credentials FILE] [-json] FILE...")
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print the configuration as JSON")
	if err := sf.parse(fs, args); err != nil {
		return err
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	if !*asJSON {
		return cfg.WriteText(stdout)
	}
	b, err := cfg.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
