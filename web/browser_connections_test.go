package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/platform/obs/obstest"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// TestBrowserConnectionsPage walks the Connections page in Chromium: from
// nothing configured to Twitch logged in with a device code (the fake plays
// the user approving on Twitch) and a real OBS connected, a wrong password
// on the way. Screenshots go to test-artifacts/web-connections-*.png.
func TestBrowserConnectionsPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	b := newBrowser(t)
	o := obstest.Start(t)
	e := newConnEnv(t, connections.Flags{}, nil)
	e.tw.SetDeviceFlow(twitchtest.DeviceFlow{Manual: true, Token: approvedToken(twitch.Scopes)})
	addr := e.serve(t)
	base := "http://" + addr
	b.signIn(addr, e.token)

	b.do("open /connections from the header pill",
		chromedp.Navigate(base+"/modules"),
		until(`document.querySelector("#pl-twitch").getAttribute("href") === "/connections"`),
		chromedp.Click(chromedp.CSS(`#pl-twitch`)),
		chromedp.WaitVisible(chromedp.CSS(`#twitch-card[data-state="not_configured"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#obs-card[data-state="offline"]`)),
		until(`document.querySelector("#pl-feed").dataset.state === "on"`),
		until(`document.querySelector("#tw-guide").open && document.querySelector("#tw-guide").textContent.includes("Public")`))
	b.shot("connections-empty")

	b.do("save the Twitch application",
		chromedp.SendKeys(chromedp.CSS(`#tw-client-id`), "abc123"),
		chromedp.SendKeys(chromedp.CSS(`#tw-channel`), "streamer"),
		chromedp.Click(chromedp.CSS(`#tw-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#twitch-card[data-state="offline"]`)))
	b.do("log in: the code shows big with a button to Twitch",
		chromedp.Click(chromedp.CSS(`#tw-login-btn`)),
		chromedp.WaitVisible(chromedp.CSS(`#tw-login`)),
		until(`document.querySelector("#tw-code").textContent === "ABCDEFGH"`),
		until(`document.querySelector("#tw-open").href.startsWith("https://www.twitch.tv/activate")`),
		until(`document.querySelector("#twitch-card").dataset.state === "logging_in"`))
	b.shot("connections-twitch-code")

	e.tw.ApproveDevice() // the user approves on Twitch
	b.do("the page turns connected by itself",
		chromedp.WaitVisible(chromedp.CSS(`#twitch-card[data-state="connected"]`)),
		until(`document.querySelector("#tw-login").hidden`),
		until(`document.querySelector("#tw-facts").textContent.includes("starbot")`),
		until(`document.querySelector("#pl-twitch").dataset.state === "connected"`))

	b.do("OBS with a wrong password",
		chromedp.SendKeys(chromedp.CSS(`#obs-addr`), o.Addr),
		chromedp.SendKeys(chromedp.CSS(`#obs-password`), "wrong-password-7"),
		chromedp.Click(chromedp.CSS(`#obs-connect`)),
		chromedp.WaitVisible(chromedp.CSS(`#obs-card[data-state="error"]`)),
		until(`document.querySelector("#obs-error").textContent.includes("wrong password")`))
	b.shot("connections-obs-wrong-password")

	start := time.Now()
	b.do("OBS with the right password",
		chromedp.SendKeys(chromedp.CSS(`#obs-password`), o.Password),
		chromedp.Click(chromedp.CSS(`#obs-connect`)),
		chromedp.WaitVisible(chromedp.CSS(`#obs-card[data-state="connected"]`)),
		until(`document.querySelector("#obs-facts").textContent.includes("obs-websocket")`),
		until(`document.querySelector("#obs-error").hidden`),
		until(`document.querySelector("#pl-obs").dataset.state === "connected"`))
	t.Logf("OBS connected on the page %v after the click", time.Since(start).Round(time.Millisecond))
	b.shot("connections-connected")

	b.do("disconnect OBS",
		chromedp.Click(chromedp.CSS(`#obs-disconnect`)),
		chromedp.WaitVisible(chromedp.CSS(`#obs-card[data-state="offline"]`)))
	if st := e.m.Status(); st.Twitch.State != connections.StateConnected || st.OBS.State != connections.StateOffline {
		t.Fatalf("after the page flow the engine says %+v", st)
	}
	e.noSecrets(t, e.logs.String())
}
