package postfixtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// layout is where an instance keeps its files. Paths stay short because
// Postfix daemons talk over unix sockets under the queue directory, and
// sun_path holds 108 bytes.
type layout struct {
	root    string
	etc     string // config_directory: main.cf, master.cf, TLS files
	queue   string // queue_directory, owned by root, made by post-install
	data    string // data_directory, owned by the mail owner
	mail    string // virtual_mailbox_base, owned by the delivery uid
	sasl    string // etc/sasl: smtpd.conf and sasldb2
	maillog string
}

func newLayout(root string) layout {
	return layout{
		root:  root,
		etc:   filepath.Join(root, "etc"),
		queue: filepath.Join(root, "q"),
		data:  filepath.Join(root, "data"),
		mail:  filepath.Join(root, "mail"),
		// Debian's Postfix looks for smtpd.conf in $config_directory/sasl
		// whatever cyrus_sasl_config_path says; upstream honours the
		// parameter, which points there too.
		sasl:    filepath.Join(root, "etc", "sasl"),
		maillog: filepath.Join(root, "maillog"),
	}
}

// ids are the accounts the instance runs as.
type ids struct {
	postfixUID, postfixGID int // mail_owner
	postdropGID            int // setgid_group
	vmailUID, vmailGID     int // virtual(8) deliveries
}

// makeDirs creates the tree. Every directory on the path is traversable
// by the unprivileged daemons; only the data and mail directories belong
// to them.
func (l layout) makeDirs(id ids) error {
	for _, d := range []string{l.root, l.etc, l.queue, l.data, l.mail, l.sasl} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		// MkdirTemp creates 0700 and the umask may narrow MkdirAll.
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chown(l.data, id.postfixUID, id.postfixGID); err != nil {
		return err
	}
	if err := os.Chmod(l.data, 0o700); err != nil {
		return err
	}
	return os.Chown(l.mail, id.vmailUID, id.vmailGID)
}

// mainCF renders main.cf for port. Settings are explicit even where they
// match Postfix defaults, so a distribution's changed defaults cannot
// turn the instance into something else (an open relay, say).
func (l layout) mainCF(o *options, id ids) string {
	var b strings.Builder
	set := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%s = %s\n", name, fmt.Sprintf(format, args...))
	}
	b.WriteString("# Throwaway instance written by hubedge internal/postfixtest.\n")
	set("compatibility_level", "3.6")
	set("queue_directory", "%s", l.queue)
	set("data_directory", "%s", l.data)
	set("mail_owner", "postfix")
	set("setgid_group", "postdrop")
	set("inet_interfaces", "127.0.0.1")
	set("inet_protocols", "ipv4")
	set("myhostname", "%s", o.hostname)
	set("mydomain", "%s", parentDomain(o.hostname))
	set("myorigin", "$myhostname")
	set("mynetworks", "127.0.0.1/32")
	set("mydestination", "")
	set("local_recipient_maps", "")
	set("alias_maps", "")
	set("alias_database", "")
	set("relay_domains", "")
	set("append_dot_mydomain", "no")
	set("biff", "no")
	set("smtpd_peername_lookup", "no")
	set("in_flow_delay", "0")
	// Retry quickly: tests stage next hops that come back.
	set("queue_run_delay", "1s")
	set("minimal_backoff_time", "1s")
	set("maximal_backoff_time", "2s")
	set("maillog_file", "%s", l.maillog)
	set("maillog_file_prefixes", "%s", l.root)
	// Log every command a loopback client sends, inside TLS too.
	set("debug_peer_list", "127.0.0.1")
	set("debug_peer_level", "1")

	if len(o.domains) > 0 {
		set("virtual_mailbox_domains", "%s", strings.Join(o.domains, ", "))
		set("virtual_mailbox_base", "%s", l.mail)
		// One Maildir for all recipients: virtual(8) refuses regexp
		// substitutions, and Delivered-To names the recipient anyway.
		set("virtual_mailbox_maps", "static:%s/", maildirName)
		set("virtual_uid_maps", "static:%d", id.vmailUID)
		set("virtual_gid_maps", "static:%d", id.vmailGID)
		set("virtual_minimum_uid", "1")
	}
	if o.relayHost != "" {
		set("relayhost", "%s", relayHost(o.relayHost))
	} else {
		// Bounces and stray mail must never leave loopback.
		set("default_transport", "error:5.7.1 postfixtest instance has no relay host")
	}
	set("smtp_tls_security_level", "may")
	set("smtp_tls_loglevel", "1")

	if o.cert != nil {
		set("smtpd_tls_chain_files", "%s, %s", filepath.Join(l.etc, "key.pem"), filepath.Join(l.etc, "chain.pem"))
		set("smtpd_tls_security_level", "%s", map[bool]string{false: "may", true: "encrypt"}[o.requireTLS])
		set("smtpd_tls_loglevel", "1")
		set("smtpd_tls_received_header", "yes")
	} else {
		set("smtpd_tls_security_level", "none")
	}

	if len(o.users) > 0 {
		set("smtpd_sasl_auth_enable", "yes")
		set("smtpd_sasl_type", "cyrus")
		set("smtpd_sasl_path", "smtpd")
		set("cyrus_sasl_config_path", "%s", l.sasl)
		set("smtpd_sasl_local_domain", "%s", o.hostname)
		set("smtpd_sasl_security_options", "noanonymous")
		set("smtpd_tls_auth_only", "%s", yesNo(o.cert != nil))
		set("smtpd_relay_restrictions", "permit_sasl_authenticated, reject")
		set("smtpd_recipient_restrictions", "permit_sasl_authenticated, reject")
	} else {
		set("smtpd_sasl_auth_enable", "no")
		set("smtpd_relay_restrictions", "reject_unauth_destination")
		set("smtpd_recipient_restrictions", "reject_unauth_destination")
	}
	for _, kv := range o.mainCF {
		set(kv[0], "%s", kv[1])
	}
	return b.String()
}

// masterCF renders master.cf: an smtpd on 127.0.0.1:port and the daemons
// delivery needs, none chrooted (the chroot would need copies of
// /etc files in the queue directory).
func masterCF(port int) string {
	return fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
virtual    unix  - n n - - virtual
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
`, port)
}

// maildirName is the Maildir under virtual_mailbox_base.
const maildirName = "Maildir"

// smtpdConf is the Cyrus SASL application configuration for smtpd.
func (l layout) smtpdConf() string {
	return fmt.Sprintf("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s\n",
		filepath.Join(l.sasl, "sasldb2"))
}

// writeTLS writes the key and the certificate chain (leaf first) as PEM,
// the key readable by root only: smtpd loads it before dropping
// privileges.
func (l layout) writeTLS(cert tls.Certificate) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return fmt.Errorf("postfixtest: marshalling TLS key: %w", err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(l.etc, "key.pem"), key, 0o600); err != nil {
		return err
	}
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	if len(chain) == 0 {
		return fmt.Errorf("postfixtest: TLS certificate has no chain")
	}
	return os.WriteFile(filepath.Join(l.etc, "chain.pem"), chain, 0o644)
}

// relayHost renders addr as a relayhost value; brackets turn off MX
// lookups for the host.
func relayHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "[" + strings.Trim(addr, "[]") + "]"
	}
	return "[" + host + "]:" + port
}

// parentDomain returns fqdn without its first label, or fqdn itself when
// it has a single label.
func parentDomain(fqdn string) string {
	if _, rest, ok := strings.Cut(fqdn, "."); ok && rest != "" {
		return rest
	}
	return fqdn
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
