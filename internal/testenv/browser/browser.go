// Package browser drives the headless Chromium that [testenv.Chromium]
// finds, as a phone, for the tests of the site's pages.
package browser

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/internal/testenv"
)

// EnvScreenshots is a folder where browser tests leave their screenshots;
// without it they go to the test's temporary directory.
const EnvScreenshots = "MATTRANSO_SCREENSHOTS"

// Timeouts of one browser step, evaluation and screenshot; the browser
// itself lives as long as the test.
const (
	defaultStepTimeout = 20 * time.Second
	evalTimeout        = 10 * time.Second
	screenshotTimeout  = 20 * time.Second
)

// Phone is a headless Chromium, found by [testenv.Chromium], that emulates a phone
// (390×844 CSS pixels at scale 2, mobile, touch) and records the console
// errors and warnings and the uncaught exceptions of its pages.
type Phone struct {
	t           testing.TB
	ctx         context.Context
	stepTimeout time.Duration
	problemIf   func(ConsoleEvent) bool
	shots       string

	mu       sync.Mutex
	problems []string
}

// ConsoleEvent is a console error or warning, or an uncaught exception, in
// a page of a [Phone].
type ConsoleEvent struct {
	// Exception is true for an uncaught exception, false for a console
	// entry.
	Exception bool
	// URL is the address the entry or the exception is about.
	URL string
}

// PhoneOption changes a [Phone] made by [NewPhone].
type PhoneOption func(*Phone)

// StepTimeout sets the deadline of each [Phone.Step]; it is 20s unless set.
func StepTimeout(d time.Duration) PhoneOption {
	return func(p *Phone) { p.stepTimeout = d }
}

// ProblemIf makes only the console events for which problem returns true
// count as problems; without it every one counts.
func ProblemIf(problem func(ConsoleEvent) bool) PhoneOption {
	return func(p *Phone) { p.problemIf = problem }
}

// NewPhone starts a headless Chromium with a fresh profile, emulating a
// phone; it is closed at the end of the test. Without Chromium the test
// ends as [testenv.Missing] says: skipped, or failed in CI.
func NewPhone(t testing.TB, opts ...PhoneOption) *Phone {
	t.Helper()
	chromium := testenv.Chromium(t)
	p := &Phone{t: t, stepTimeout: defaultStepTimeout}
	for _, o := range opts {
		o(p)
	}
	p.shots = os.Getenv(EnvScreenshots)
	if p.shots == "" {
		p.shots = t.TempDir()
	}

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)
	p.ctx = ctx

	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	p.Step("emulate a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
	)
	return p
}

// record keeps the console errors and warnings and the exceptions that
// count as problems.
func (p *Phone) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *log.EventEntryAdded:
		if e.Entry.Level != log.EntryLevelError && e.Entry.Level != log.EntryLevelWarning {
			return
		}
		if p.problemIf == nil || p.problemIf(ConsoleEvent{URL: e.Entry.URL}) {
			p.problems = append(p.problems, string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
		}
	case *runtime.EventExceptionThrown:
		if p.problemIf == nil || p.problemIf(ConsoleEvent{Exception: true, URL: e.ExceptionDetails.URL}) {
			p.problems = append(p.problems, "exception: "+e.ExceptionDetails.Text)
		}
	}
}

// Ctx is the browser's context, for actions the other methods do not
// cover; derive a context with a deadline from it for each action.
func (p *Phone) Ctx() context.Context { return p.ctx }

// Step runs the actions in order under one deadline, failing the test with
// what when one fails.
func (p *Phone) Step(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates the JavaScript expression js, which must yield a string,
// in the current page.
func (p *Phone) Eval(js string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, evalTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// Screenshot saves a PNG of the screen as name in $MATTRANSO_SCREENSHOTS,
// or the test's temporary directory, and returns its path.
func (p *Phone) Screenshot(name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, screenshotTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

// Problems returns the console errors and warnings and the uncaught
// exceptions recorded so far that count as problems.
func (p *Phone) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}
