package manage_test

import (
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubedge/hubedge/queue"
)

var screenshot = flag.String("screenshot", "", "write the Queue Viewer screenshot of TestBrowserResume to this PNG file (e.g. ../docs/queue-viewer.png)")

// TestBrowserResume drives headless Chromium through the Queue Viewer: sign
// in with the token, find the suspended Submission queue, click Resume and
// see the message delivered.
func TestBrowserResume(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian package chromium); the Queue Viewer was not tested in a browser")
	}
	f := newFixture(t)
	f.enqueue(t, "alice@contoso.com", "bob@down.example", queue.EventDefer)
	if err := f.q.SuspendQueue(queue.QueueSubmission); err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, "alice@contoso.com", "carol@fabrikam.com", queue.EventReceive)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 360),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()

	resume := `button[data-action="Resume-Queue"]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", testToken),
		chromedp.Click("#signin"),
		chromedp.WaitVisible(resume),
	); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, chromedp.Text("main"))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(resume)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`HubA\Submission`, "Suspended", "down.example", "Retry", "connection refused"} {
		if !strings.Contains(before, want) {
			t.Errorf("page before Resume lacks %q:\n%s", want, before)
		}
	}
	select {
	case got := <-f.delivered:
		if got != "carol@fabrikam.com" {
			t.Errorf("delivered to %s", got)
		}
	case <-t.Context().Done():
		t.Fatal("the message was not delivered after Resume")
	}
	// The POST's answer redirects to the queue's page, the one with a
	// property list. (A bare tag name would also match the style sheet's
	// text: the selectors are searches.)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`main > dl`)); err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, chromedp.Text("main"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after, `Queue HubA\Submission`) || strings.Contains(after, "carol@fabrikam.com") && strings.Contains(after, "Suspended") {
		t.Errorf("page after Resume:\n%s", after)
	}
	// On a phone's screen the page does not scroll sideways: wide tables
	// scroll inside their own box.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(`main .scroll`)); err != nil {
		t.Fatal(err)
	}
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !fits {
		t.Errorf("the queues page is wider than a phone's screen (%v)", err)
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
