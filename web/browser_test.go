package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/starstreamer/starstreamer/engine"
)

// chromiumPath finds Debian's chromium. The browser tests skip only when it is
// absent and CI is not "true" (.ci/run installs it, so there they always run).
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the browser tests must run")
	}
	t.Skip("chromium is not installed (apt install chromium); skipping the browser tests")
	return ""
}

// artifacts is test-artifacts/ at the repository root (gitignored).
func artifacts(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type browser struct {
	t   testing.TB
	ctx context.Context
	dir string
}

func newBrowser(t *testing.T) *browser { return newBrowserSized(t, 1360, 1000) }

// newBrowserSized starts a headless Chromium whose viewport is w x h, with
// sound allowed to play without a click (as in an OBS browser source).
func newBrowserSized(t testing.TB, w, h int) *browser {
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, dir: artifacts(t)}
}

// do runs steps with a bound on the whole flow step.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// signIn opens the panel's one-time login link, as the streamer does with the
// link the engine prints; the panel answers no page or API call before.
func (b *browser) signIn(addr, token string) {
	b.t.Helper()
	b.do("sign in with the one-time login link",
		chromedp.Navigate(LoginURL(addr, token)),
		until(`location.pathname === "/modules" && location.search === ""`))
}

func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.dir, "web-"+name+".png"), png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// until polls a JavaScript predicate in the page.
// fire picks a template on /events and fires it, waiting for the page to say
// it was fired (the button is disabled while its request runs, so a click then
// would be lost).
func fire(template, typ string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		until(`!document.querySelector("#btn-fire").disabled`),
		chromedp.Click(chromedp.CSS(`#tpl-buttons button[data-template="` + template + `"]`)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.querySelector("#fire-result").textContent = ""`)(ctx, t)
			return err
		}),
		chromedp.Click(chromedp.CSS(`#btn-fire`)),
		until(`document.querySelector("#fire-result").textContent.startsWith("Fired ` + typ + `")`),
	}
}

func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[any](expr, chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
		return err
	})
}

func TestBrowserPanelFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	b := newBrowser(t)
	e := newEnv(t, map[string]string{"counter.lua": counterScript, "broken.lua": brokenScript})
	w, err := engine.NewWatcher(e.dir, 50*time.Millisecond, quietLogger(), func(m string) { e.reg.FileChanged(e.ctx, m) })
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(e.ctx)
	addr := e.serve(t)
	base := "http://" + addr
	b.do("a page fetch asks to sign in",
		chromedp.Navigate(base+"/modules"),
		until(`document.body.textContent.includes("Sign in to the panel")`))
	b.shot("sign-in")
	b.signIn(addr, e.token)

	t.Run("disable a module and see its state change", func(t *testing.T) {
		b.t = t
		b.do("open /modules",
			chromedp.Navigate(base+"/modules"),
			chromedp.WaitVisible(chromedp.CSS(`#mod-counter[data-status="running"]`)),
			until(`document.querySelector("#pl-feed").dataset.state === "on"`),
			until(`document.querySelector("#t-loaded").textContent === "1"`))
		b.shot("modules")
		b.do("disable counter",
			chromedp.Click(chromedp.CSS(`#mod-counter button[data-action="disable"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#mod-counter[data-status="disabled"]`)),
			until(`document.querySelector("#mod-counter [data-role=status]").textContent === "disabled"`),
			until(`document.querySelector("#t-enabled").textContent === "1"`))
		if st, _ := e.reg.Module("counter"); st.Enabled || st.Status != "disabled" {
			t.Fatalf("after the click the engine says %s enabled=%v", st.Status, st.Enabled)
		}
		b.shot("modules-disabled")
		b.do("enable counter",
			chromedp.Click(chromedp.CSS(`#mod-counter button[data-action="enable"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#mod-counter[data-status="running"]`)))
	})

	t.Run("a file saved on disk updates the page without a refresh", func(t *testing.T) {
		b.t = t
		// Mark the document: a reload of the page would lose the mark.
		b.do("mark the page", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`window.__noRefresh = 1`)(ctx, tg)
			return err
		}))
		changed := strings.Replace(counterScript, `version = "0.2.0"`, `version = "0.3.0"`, 1)
		if err := os.WriteFile(filepath.Join(e.dir, "counter.lua"), []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("see the new version",
			until(`document.querySelector("#mod-counter .mod-meta").textContent.includes("v0.3.0")`),
			until(`window.__noRefresh === 1`))
		// A broken save keeps the old version running and shows the error with file and line.
		if err := os.WriteFile(filepath.Join(e.dir, "counter.lua"), []byte(changed+"\nthis is not lua\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("see the reload error",
			until(`(document.querySelector("#mod-counter [data-role=last-error]") || {}).textContent?.includes("counter.lua")`),
			until(`document.querySelector("#mod-counter").dataset.status === "running"`),
			until(`window.__noRefresh === 1`))
		b.shot("modules-hot-reload-error")
		fixed := strings.Replace(changed, `"0.3.0"`, `"0.3.1"`, 1)
		if err := os.WriteFile(filepath.Join(e.dir, "counter.lua"), []byte(fixed), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("see it fixed", until(`!document.querySelector("#mod-counter [data-role=last-error]") && document.querySelector("#mod-counter .mod-meta").textContent.includes("v0.3.1")`))
	})

	t.Run("paste a script, review it, approve it, chat and see the reply", func(t *testing.T) {
		b.t = t
		b.do("paste and check",
			chromedp.Click(chromedp.CSS(`#btn-install`)),
			chromedp.WaitVisible(chromedp.CSS(`#install-code`)),
			chromedp.SetValue(chromedp.CSS(`#install-code`), pasted),
			chromedp.Click(chromedp.CSS(`#btn-inspect`)),
			chromedp.WaitVisible(chromedp.CSS(`#install-step2`)),
			until(`document.querySelector("#ins-review [data-role=perms]").textContent.includes("Control OBS")`),
			// what it registers, with the level that may use each command, and its source
			until(`document.querySelector("#ins-review [data-role=registers]").textContent.includes("!pasted — anyone in chat")`),
			until(`document.querySelector("#ins-review [data-role=registers]").textContent.includes("deck.button")`),
			until(`document.querySelector("#ins-review [data-role=source]").textContent.includes('twitch.reply(event, "pasted works")')`))
		b.shot("install-review")
		b.do("install",
			chromedp.Click(chromedp.CSS(`#btn-do-install`)),
			chromedp.WaitVisible(chromedp.CSS(`#install-step3`)),
			// step 3 shows what approving grants (it used to show nothing)
			until(`document.querySelector("#ins-perms3").textContent.includes("Control OBS")`),
			until(`document.querySelector("#mod-pasted")?.dataset.status === "awaiting_approval"`))
		if _, err := os.Stat(filepath.Join(e.dir, "pasted.lua")); err != nil {
			t.Fatalf("the script was not saved: %v", err)
		}
		b.shot("install-step3")
		// The watcher loads the new file a moment later: the card must keep
		// saying it awaits approval (it used to flip to "disabled" and offer Enable).
		time.Sleep(300 * time.Millisecond)
		b.do("still awaiting approval after the watcher saw the file",
			until(`document.querySelector("#mod-pasted")?.dataset.status === "awaiting_approval"`),
			until(`!!document.querySelector("#mod-pasted button[data-action=approve]")`),
			until(`!document.querySelector("#mod-pasted button[data-action=enable]")`))
		if st, _ := e.reg.Module("pasted"); st.Status != "awaiting_approval" {
			t.Fatalf("the engine says %s: %s", st.Status, st.LastError)
		}
		b.do("approve",
			chromedp.Click(chromedp.CSS(`#btn-approve-new`)),
			until(`document.querySelector("#mod-pasted")?.dataset.status === "running"`),
			until(`!document.querySelector("#dlg-install").open`))
		b.shot("modules-installed")
		b.do("chat",
			chromedp.Navigate(base+"/chat"),
			until(`document.querySelector("#pl-feed").dataset.state === "on"`),
			until(`document.querySelector("#cmd-list").textContent.includes("!pasted")`),
			chromedp.SendKeys(chromedp.CSS(`#chat-message`), "!pasted"),
			chromedp.Click(chromedp.CSS(`#chat-send`)),
			until(`[...document.querySelectorAll("#chat-log li.me .text")].some(e => e.textContent === "!pasted")`),
			until(`[...document.querySelectorAll("#chat-log li.bot .text")].some(e => e.textContent === "pasted works")`))
		b.shot("chat")
	})

	t.Run("a permission change on disk asks for approval again", func(t *testing.T) {
		b.t = t
		b.do("open /modules",
			chromedp.Navigate(base+"/modules"),
			until(`document.querySelector("#mod-pasted")?.dataset.status === "running"`),
			until(`document.querySelector("#pl-feed").dataset.state === "on"`))
		changed := strings.Replace(pasted, `"obs.control" }`, `"obs.control", "store" }`, 1)
		changed = strings.Replace(changed, `"pasted works"`, `"pasted v2 works"`, 1)
		if changed == pasted {
			t.Fatal("the test script did not change")
		}
		if err := os.WriteFile(filepath.Join(e.dir, "pasted.lua"), []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		// The approved version keeps running; the card offers the review.
		b.do("see the pending approval",
			until(`!!document.querySelector("#mod-pasted button[data-action=approve]")`),
			until(`document.querySelector("#mod-pasted").dataset.status === "running"`),
			until(`(document.querySelector("#mod-pasted [data-role=last-error]") || {}).textContent?.includes("now asks for permissions")`))
		b.shot("modules-permission-changed")
		b.do("review the change",
			chromedp.Click(chromedp.CSS(`#mod-pasted button[data-action=approve]`)),
			chromedp.WaitVisible(chromedp.CSS(`#dlg-approve`)),
			until(`document.querySelector("#ap-review [data-role=perms] li.added")?.textContent.includes("store")`),
			until(`document.querySelector("#ap-review [data-role=source]").textContent.includes("pasted v2 works")`),
			until(`!document.querySelector("#btn-approve").disabled`))
		b.shot("approve-changed")
		b.do("approve it",
			chromedp.Click(chromedp.CSS(`#btn-approve`)),
			until(`!document.querySelector("#dlg-approve").open`),
			until(`document.querySelector("#mod-pasted").dataset.status === "running" && !document.querySelector("#mod-pasted button[data-action=approve]")`))
		if st, _ := e.reg.Module("pasted"); st.Status != "running" || len(st.AwaitingApproval) != 0 || !slices.Contains(st.Approved, "store") {
			t.Fatalf("after approving the change: %+v", st)
		}
		b.do("the new version answers",
			chromedp.Navigate(base+"/chat"),
			until(`document.querySelector("#pl-feed").dataset.state === "on"`),
			chromedp.SendKeys(chromedp.CSS(`#chat-message`), "!pasted"),
			chromedp.Click(chromedp.CSS(`#chat-send`)),
			until(`[...document.querySelectorAll("#chat-log li.bot .text")].some(e => e.textContent === "pasted v2 works")`))
	})

	t.Run("events page fires a template and shows it live", func(t *testing.T) {
		b.t = t
		b.do("fire a follow",
			chromedp.Navigate(base+"/events"),
			until(`document.querySelector("#pl-feed").dataset.state === "on"`),
			chromedp.WaitVisible(chromedp.CSS(`#tpl-buttons button[data-template="follow"]`)))
		b.do("fire a follow", fire("follow", "twitch.follow")...)
		b.do("see it in the feed", until(`[...document.querySelectorAll("#feed li")].some(li => li.dataset.type === "twitch.follow")`))
		for range 3 {
			b.do("fire a raid", fire("raid", "twitch.raid")...)
		}
		b.do("see the chart and filter",
			until(`document.querySelector("#chart-rate").textContent !== "– events/s"`),
			chromedp.SendKeys(chromedp.CSS(`#feed-filter`), "twitch.raid"),
			chromedp.Click(chromedp.CSS(`#btn-clear`)),
			until(`document.querySelector("#feed-count").textContent === "0"`))
		b.do("filter applied by the server",
			until(`document.querySelector("#feed-filter").dataset.active === "twitch.raid"`))
		b.do("fire a follow and a raid", append(fire("follow", "twitch.follow"), fire("raid", "twitch.raid")...)...)
		b.do("filtered feed",
			until(`[...document.querySelectorAll("#feed li")].some(li => li.dataset.type === "twitch.raid")`),
			until(`![...document.querySelectorAll("#feed li")].some(li => li.dataset.type === "twitch.follow")`),
			chromedp.SendKeys(chromedp.CSS(`#feed-filter`), "\b\b\b\b\b\b\b\b\b\b\b"),
		)
		time.Sleep(1200 * time.Millisecond) // a couple of chart samples
		b.shot("events")
	})

	t.Run("load warnings, ignored files and a handler's error are shown where the user looks", func(t *testing.T) {
		b.t = t
		crashy := "module { name = \"crashy\", permissions = { \"twitch.chat\" } }\ncommand(\"!crash\", function(e)\n  twitch.sendMessage(\"x\")\nend)\n"
		for name, body := range map[string]string{"crashy.lua": crashy, "my script.lua": "module {}"} {
			if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for st, _ := e.reg.Module("crashy"); st.Status != "running"; st, _ = e.reg.Module("crashy") {
			if time.Now().After(deadline) {
				t.Fatalf("crashy did not load: %+v", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.do("see the warning and the ignored file",
			chromedp.Navigate(base+"/modules"),
			until(`(document.querySelector("#mod-crashy [data-role=warnings]") || {}).textContent?.includes("twitch.sendMessage does not exist — did you mean twitch.send_message?")`),
			until(`!document.querySelector("#ignored").hidden && document.querySelector("#ignored-list").textContent.includes("my script.lua")`))
		b.shot("modules-warnings")
		b.do("see the handler's error in the chat console",
			chromedp.Navigate(base+"/chat"),
			until(`document.querySelector("#pl-feed").dataset.state === "on"`),
			chromedp.SendKeys(chromedp.CSS(`#chat-message`), "!crash"),
			chromedp.Click(chromedp.CSS(`#chat-send`)),
			until(`[...document.querySelectorAll("#chat-log li.err .text")].some(e => e.textContent.includes("twitch.sendMessage is nil — did you mean twitch.send_message?"))`))
		b.shot("chat-error")
	})
}
