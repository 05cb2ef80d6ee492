package cmdlet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hubedge/hubedge/connector"
)

// ErrNoCredential is returned by a Credentials lookup for a variable it does
// not know.
var ErrNoCredential = errors.New("cmdlet: no such credential")

// Credentials supplies what `$name = Get-Credential` stands for, by the
// variable's name: a script never holds a password.
type Credentials interface {
	Credential(name string) (connector.Credential, error)
}

// CredentialMap is a Credentials held in memory, keyed by variable name
// (case-insensitive, as PowerShell variables are).
type CredentialMap map[string]connector.Credential

// Credential implements Credentials.
func (m CredentialMap) Credential(name string) (connector.Credential, error) {
	for k, c := range m {
		if strings.EqualFold(k, name) {
			return c, nil
		}
	}
	return connector.Credential{}, fmt.Errorf("%w: $%s", ErrNoCredential, name)
}

// LoadCredentials reads a credentials file: one `name user password-file`
// line per credential variable ("mycred FourthCoffee@Contoso.com
// /etc/hubedge/fourthcoffee.pw"), blank lines and # comments ignored. Each
// password file is read whole, one trailing line end removed; a relative
// path is relative to the credentials file. Errors name the line, never a
// password.
func LoadCredentials(path string) (CredentialMap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := CredentialMap{}
	var errs ErrorList
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := Pos{path, n, 1}
		f := strings.Fields(line)
		if len(f) != 3 {
			errs.add(at, "", "want three fields, name user password-file; found %d", len(f))
			continue
		}
		name := strings.TrimPrefix(f[0], "$")
		if _, dup := m.Credential(name); dup == nil {
			errs.add(at, "", "credential %s is listed twice", name)
			continue
		}
		pwPath := f[2]
		if !filepath.IsAbs(pwPath) {
			pwPath = filepath.Join(filepath.Dir(path), pwPath)
		}
		pw, err := os.ReadFile(pwPath)
		if err != nil {
			errs.add(at, "", "credential %s: %v", name, err)
			continue
		}
		pw = bytes.TrimSuffix(pw, []byte("\n"))
		pw = bytes.TrimSuffix(pw, []byte("\r"))
		m[name] = connector.Credential{UserName: f[1], Password: string(pw)}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return m, nil
}
