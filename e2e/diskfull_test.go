package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// smallDisk mounts a tmpfs of size at a fresh directory, unmounted at
// cleanup; it skips unless the test runs as root on Linux.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux to mount a small tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "queue")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file in dir until the file system is full; removing the
// file frees the space.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = 'x'
	}
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	return p
}

// gate is a local delivery that defers every message (4.3.0) except those
// whose body contains pass, which it records.
type gate struct {
	pass      string
	delivered chan string
}

func (g *gate) Deliver(_ context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	rc, err := msg.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	res := queue.Result{Code: 451, Enhanced: "4.3.0", Text: "held"}
	if strings.Contains(string(b), g.pass) {
		res = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "ok"}
		g.delivered <- string(b)
	}
	out := make([]queue.Result, len(rcpts))
	for i := range out {
		out[i] = res
	}
	return out, nil
}

var queuedID = regexp.MustCompile(`^250 2\.6\.0 <([0-9A-Z]+)>`)

// Disk full on enqueue: the client gets a 4xx, the server keeps serving,
// accepts again once space is freed, and after a restart the queue holds
// exactly the acknowledged messages, intact.
func TestDiskFullOnEnqueue(t *testing.T) {
	dir := smallDisk(t, "32m") // each of the two log segments preallocates 8 MiB on first use
	g := &gate{pass: "after-free", delivered: make(chan string, 1)}
	l := newQlog()
	tr := smtptest.NewTransport(t, transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
		transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithLocalDelivery(g), transport.WithQueueDir(dir), fastRetry(l))
	a := addr(t, tr, "From Internet")

	body := strings.Repeat("a body line that takes space on the small disk\r\n", 600) // ~29 KiB
	acked := map[string]string{}                                                      // id → Message-ID
	var mu sync.Mutex
	submit := func(mid string) string {
		r, _ := smtptest.Dial(t, a)
		smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
			smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"})
		got := r.Data("Message-ID: <" + mid + ">\r\nSubject: disk\r\n\r\n" + body)
		if m := queuedID.FindStringSubmatch(got); m != nil {
			mu.Lock()
			acked[m[1]] = mid
			mu.Unlock()
		}
		r.Cmd("QUIT")
		return got
	}
	if got := submit("first@e2e"); !strings.HasPrefix(got, "250") {
		t.Fatalf("first message: %q", got)
	}
	filler := fill(t, dir)
	var refused string
	for i := 0; i < 400 && refused == ""; i++ {
		if got := submit("fill-" + strconv.Itoa(i) + "@e2e"); !strings.HasPrefix(got, "250") {
			refused = got
		}
	}
	if !strings.HasPrefix(refused, "452 4.3.1") {
		t.Fatalf("full disk answered %q, want 452 4.3.1", refused)
	}
	t.Logf("full disk after %d acknowledged messages: %q", len(acked), refused)
	served := func() string { // a new client is greeted and gets through EHLO
		r, banner := smtptest.Dial(t, a)
		defer r.Cmd("QUIT")
		return banner + " / " + r.Cmd("EHLO again.example")
	}
	if got := served(); !strings.HasPrefix(got, "220") || !strings.Contains(got, "/ 250") {
		t.Errorf("full disk: a new client got %q", got)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var afterFree string
	for range 3 { // a refusal that was already under way may still show
		if afterFree = submit("after-free@e2e"); strings.HasPrefix(afterFree, "250") {
			break
		}
	}
	if !strings.HasPrefix(afterFree, "250") {
		t.Errorf("after freeing space: %q, want 250 (the store retries and recovers)", afterFree)
	} else {
		select {
		case <-g.delivered:
		case <-time.After(15 * time.Second):
			t.Errorf("the message accepted after freeing space was not delivered:\n%s", l)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Logf("shutdown: %v", err)
	}
	q, err := queue.Open(dir)
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer q.Close(context.Background())
	held := map[string]bool{}
	for _, mi := range q.Messages(queue.Filter{}) {
		id := string(mi.ID)
		held[id] = true
		mid, ok := acked[id]
		if !ok {
			t.Errorf("message %s was never acknowledged (half-written?)", id)
			continue
		}
		var b strings.Builder
		if err := q.SuspendMessage(mi.ID); err != nil {
			t.Fatal(err)
		}
		if err := q.Export(mi.ID, &b); err != nil {
			t.Errorf("export %s: %v", id, err)
		} else if !strings.Contains(b.String(), "<"+mid+">") || !strings.HasSuffix(b.String(), body) {
			t.Errorf("message %s (%s) not intact: %d bytes", id, mid, b.Len())
		}
	}
	for id, mid := range acked {
		if !held[id] && mid != "after-free@e2e" {
			t.Errorf("acknowledged message %s (%s) lost", id, mid)
		}
	}
}
