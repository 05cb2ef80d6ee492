package manage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hubedge/hubedge/internal/suggest"
)

// Client calls the management API.
type Client struct {
	base  string // scheme://host, no trailing slash
	token string
	http  *http.Client
}

// NewClient returns a Client of the API at addr: "http://127.0.0.1:8025",
// "https://..." or "unix:/run/hubedge/manage.sock". token is sent as a
// bearer token; hc may be nil (http.DefaultClient, or for a Unix socket a
// client that dials it), or carry a TLS client certificate.
func NewClient(addr, token string, hc *http.Client) (*Client, error) {
	c := &Client{token: token, http: hc}
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if path == "" {
			return nil, errors.New("manage: unix: address without a socket path")
		}
		if c.http == nil {
			c.http = &http.Client{Transport: &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, "unix", path)
				},
			}}
		}
		c.base = "http://hubedge"
		return c, nil
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("manage: API address %q is not http://host:port, https://host:port or unix:/path", addr)
	}
	c.base = u.Scheme + "://" + u.Host
	if c.http == nil {
		c.http = http.DefaultClient
	}
	return c, nil
}

// Call runs a cmdlet with params and returns the answer's body: JSON for
// every cmdlet but Export-Message, whose body is the message. An answer
// other than 200 is an *APIError, or ErrUnauthorized for 401.
func (c *Client) Call(ctx context.Context, cmdlet string, params url.Values) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.call(ctx, cmdlet, params, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c *Client) call(ctx context.Context, cmdlet string, params url.Values, w io.Writer) error {
	name, err := canonicalCmdlet(cmdlet)
	if err != nil {
		return err
	}
	method := http.MethodGet
	if !strings.HasPrefix(name, "Get-") && name != "Export-Message" {
		method = http.MethodPost
	}
	u := c.base + "/api/" + name
	var body io.Reader
	if method == http.MethodGet {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
	} else {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("manage: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("manage: cannot reach the API: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		_, err = io.Copy(w, resp.Body)
		return err
	case http.StatusUnauthorized:
		return ErrUnauthorized
	}
	var e errorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		e.Error = fmt.Sprintf("API answered %s", resp.Status)
	}
	return &APIError{StatusCode: resp.StatusCode, Message: e.Error}
}

// canonicalCmdlet spells s as Cmdlets does, or says which cmdlet s was
// closest to.
func canonicalCmdlet(s string) (string, error) {
	for _, c := range Cmdlets {
		if strings.EqualFold(c, s) {
			return c, nil
		}
	}
	if c := suggest.Closest(s, Cmdlets); c != "" {
		return "", fmt.Errorf("manage: unknown cmdlet %q (closest: %s)", s, c)
	}
	return "", fmt.Errorf("manage: unknown cmdlet %q (one of %s)", s, strings.Join(Cmdlets, ", "))
}

func getAs[T any](ctx context.Context, c *Client, cmdlet string, params url.Values) ([]T, error) {
	b, err := c.Call(ctx, cmdlet, params)
	if err != nil {
		return nil, err
	}
	var out []T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("manage: reading the answer of %s: %w", cmdlet, err)
	}
	return out, nil
}

// GetQueue runs Get-Queue.
func (c *Client) GetQueue(ctx context.Context, params url.Values) ([]QueueView, error) {
	return getAs[QueueView](ctx, c, "Get-Queue", params)
}

// GetMessage runs Get-Message.
func (c *Client) GetMessage(ctx context.Context, params url.Values) ([]MessageView, error) {
	return getAs[MessageView](ctx, c, "Get-Message", params)
}

// GetMessageTrackingLog runs Get-MessageTrackingLog.
func (c *Client) GetMessageTrackingLog(ctx context.Context, params url.Values) ([]TrackingView, error) {
	return getAs[TrackingView](ctx, c, "Get-MessageTrackingLog", params)
}

// ExportMessage writes the .eml of a suspended message to w.
func (c *Client) ExportMessage(ctx context.Context, identity string, w io.Writer) error {
	return c.call(ctx, "Export-Message", url.Values{"Identity": {identity}}, w)
}

// switches are parameters that may stand without a value on the command
// line, as PowerShell's switch parameters do.
var switches = []string{"Resubmit", "WithNDR"}

// Run runs a command line, "Get-Queue -Status Retry" split into words, and
// prints the answer to w: Get- cmdlets as the reference system's default
// Format-Table columns, or as JSON after -json; Export-Message as the
// message itself; actions print nothing. A first word after the cmdlet that
// is not a parameter is the Identity, as PowerShell takes it by position.
func (c *Client) Run(ctx context.Context, w io.Writer, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("manage: no cmdlet (one of %s)", strings.Join(Cmdlets, ", "))
	}
	cmdlet, err := canonicalCmdlet(args[0])
	if err != nil {
		return err
	}
	if AsksHelp(args[1:]) {
		_, err := fmt.Fprintln(w, Syntax(cmdlet))
		return err
	}
	params, jsonOut, err := parseArgs(args[1:])
	if err != nil {
		return err
	}
	if cmdlet == "Export-Message" {
		return c.call(ctx, cmdlet, params, w)
	}
	b, err := c.Call(ctx, cmdlet, params)
	if err != nil {
		return err
	}
	switch {
	case jsonOut:
		_, err = w.Write(b)
		return err
	case !strings.HasPrefix(cmdlet, "Get-"):
		return nil
	}
	return FormatTable(w, cmdlet, b)
}

// Syntax is a cmdlet's parameters as its help shows them:
// "Remove-Message [-Identity <value>] [-WithNDR] [-json]".
func Syntax(cmdlet string) string {
	e, ok := (*Handler)(nil).endpoints()[strings.ToLower(cmdlet)]
	if !ok {
		return cmdlet
	}
	var b strings.Builder
	b.WriteString(cmdlet)
	for _, p := range e.params {
		if slices.ContainsFunc(switches, func(s string) bool { return strings.EqualFold(s, p) }) {
			fmt.Fprintf(&b, " [-%s]", p)
			continue
		}
		fmt.Fprintf(&b, " [-%s <value>]", p)
	}
	b.WriteString(" [-json]")
	return b.String()
}

// AsksHelp reports a -h, -help, --help or -? among a cmdlet's args, as a shell's
// Get-Help would be asked.
func AsksHelp(args []string) bool {
	for _, a := range args {
		switch strings.ToLower(a) {
		case "-h", "-help", "--help", "-?":
			return true
		}
	}
	return false
}

func parseArgs(args []string) (url.Values, bool, error) {
	params := url.Values{}
	jsonOut := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if i == 0 {
				params.Set("Identity", a)
				continue
			}
			return nil, false, fmt.Errorf("manage: %q is not a parameter (-Name value)", a)
		}
		name, val, hasVal := strings.Cut(a[1:], ":") // -WithNDR:$false
		if strings.EqualFold(name, "json") {
			jsonOut = true
			continue
		}
		if name == "" {
			return nil, false, fmt.Errorf("manage: %q is not a parameter", a)
		}
		isSwitch := false
		for _, s := range switches {
			if strings.EqualFold(s, name) {
				isSwitch = true
			}
		}
		// A negative number is a value, as PowerShell reads -ResultSize -5,
		// so that the API can say the value is wrong rather than missing.
		next := i+1 < len(args) && (!strings.HasPrefix(args[i+1], "-") || isNegativeNumber(args[i+1]))
		switch {
		case hasVal:
		case isSwitch && next && isBoolWord(args[i+1]):
			val = args[i+1]
			i++
		case isSwitch:
			val = "$true"
		case next:
			val = args[i+1]
			i++
		default:
			return nil, false, fmt.Errorf("manage: -%s needs a value", name)
		}
		params.Set(name, val)
	}
	return params, jsonOut, nil
}

// isNegativeNumber reports a word such as -5 or -0.5: no parameter name
// starts with a digit.
func isNegativeNumber(s string) bool {
	return len(s) > 1 && s[0] == '-' && s[1] >= '0' && s[1] <= '9'
}

func isBoolWord(s string) bool {
	switch strings.ToLower(s) {
	case "$true", "$false", "true", "false":
		return true
	}
	return false
}

// defaultColumns are the columns the reference system's Format-Table shows
// for each Get- cmdlet. Get-Message's Subject is left out: the queue does
// not read messages' headers.
var defaultColumns = map[string][]string{
	"Get-Queue":              {"Identity", "DeliveryType", "Status", "MessageCount", "NextHopDomain"},
	"Get-Message":            {"Identity", "FromAddress", "Status", "Queue"},
	"Get-MessageTrackingLog": {"EventId", "Source", "Sender", "Recipients", "MessageSubject"},
	"Get-SendConnector":      {"Identity", "AddressSpaces", "Enabled"},
	"Get-ReceiveConnector":   {"Identity", "Bindings", "Enabled"},
	"Get-AcceptedDomain":     {"Name", "DomainName", "DomainType"},
}

// FormatTable prints the JSON answer of a Get- cmdlet as its default
// table: a header row, a row of dashes, one row per object; lists print as
// {a, b}, as PowerShell prints them.
func FormatTable(w io.Writer, cmdlet string, answer []byte) error {
	cols := defaultColumns[cmdlet]
	if cols == nil {
		return fmt.Errorf("manage: no table for %s", cmdlet)
	}
	dec := json.NewDecoder(bytes.NewReader(answer))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		return fmt.Errorf("manage: reading the answer of %s: %w", cmdlet, err)
	}
	if len(rows) == 0 {
		return nil
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 1, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	dashes := make([]string, len(cols))
	for i, c := range cols {
		dashes[i] = strings.Repeat("-", len(c))
	}
	fmt.Fprintln(tw, strings.Join(dashes, "\t"))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i] = cell(e)
		}
		return "{" + strings.Join(s, ", ") + "}"
	case string:
		return strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' ' // no terminal control sequences from the server
			}
			return r
		}, v)
	}
	return fmt.Sprint(v)
}
