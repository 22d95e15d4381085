package overlay

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseAlertNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields map[string]any
		want   string // substring of the error, "" for none
	}{
		{"title and text", map[string]any{"title": "New follower", "text": "Alice"}, ""},
		{"integer duration", map[string]any{"text": "x", "duration": int64(3)}, ""},
		{"image in a sub-folder", map[string]any{"image": "cheer/tier2.gif"}, ""},
		{"nothing to show", map[string]any{"kind": "follow"}, "needs a title, a text or an image"},
		{"unknown field", map[string]any{"text": "x", "colour": "red"}, `unknown field "colour"`},
		{"title not a string", map[string]any{"title": int64(3)}, "field title must be a string"},
		{"text too long", map[string]any{"text": strings.Repeat("é", MaxText+1)}, "field text is 501 characters long"},
		{"duration too long", map[string]any{"text": "x", "duration": int64(3600)}, "field duration is 3600 seconds"},
		{"duration a string", map[string]any{"text": "x", "duration": "5"}, "field duration must be a number"},
		{"image traversal", map[string]any{"image": "../secret.png"}, "field image"},
		{"image absolute", map[string]any{"image": "/etc/passwd.png"}, "field image"},
		{"image backslash", map[string]any{"image": `..\..\x.png`}, "field image"},
		{"image not an image", map[string]any{"image": "ding.ogg"}, "is not an image"},
		{"sound not a sound", map[string]any{"text": "x", "sound": "follow.png"}, "is not a sound"},
		{"sound with unknown type", map[string]any{"text": "x", "sound": "run.sh"}, "field sound"},
		{"bad overlay", map[string]any{"text": "x", "overlay": "../x"}, "field overlay"},
		{"bad kind", map[string]any{"text": "x", "kind": "Follow!"}, "field kind"},
		{"bad accent", map[string]any{"text": "x", "accent": "red"}, "field accent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAlert(tc.fields)
			if tc.want == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestThePageNeedsItsKey(t *testing.T) {
	e := newTestEnv(t)
	key := e.key("alerts")
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/overlay/alerts", 403},
		{"/overlay/alerts?key=", 403},
		{"/overlay/alerts?key=wrong", 403},
		{"/overlay/alerts?key=" + key[:len(key)-1], 403},
		{"/overlay/alerts/ws?key=wrong", 403},
		{"/overlay/alerts/media/follow.png?key=wrong", 403},
		{"/overlay/nope?key=" + key, 404},
		{"/overlay/alerts?key=" + key, 200},
	} {
		code, body := e.get(tc.path)
		if code != tc.code {
			t.Errorf("GET %s: %d, want %d (%s)", tc.path, code, tc.code, body)
		}
	}
	_, body := e.get("/overlay/alerts?key=" + key)
	for _, want := range []string{`<div id="stage">`, `data-file="style.css"`, `data-file="alerts.js"`, `window.__overlay=`, "background:transparent"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// (the SVG namespace name is an identifier, not something loaded)
	if b := strings.ReplaceAll(body, "http://www.w3.org/2000/svg", ""); strings.Contains(b, "http://") || strings.Contains(b, "https://") {
		t.Errorf("the shipped page refers to an external address")
	}
}

func TestKeyRotationDisconnectsOpenPages(t *testing.T) {
	e := newTestEnv(t)
	old := e.key("alerts")
	p := e.open("alerts", false)
	k, err := e.m.RotateKey("alerts")
	if err != nil || k == old {
		t.Fatalf("rotate: %q %v", k, err)
	}
	if _, ok := <-p.msgs; ok {
		// drain until closed
		for range p.msgs {
		}
	}
	if code, _ := e.get("/overlay/alerts?key=" + old); code != 403 {
		t.Errorf("the old key still works: %d", code)
	}
	if code, _ := e.get("/overlay/alerts?key=" + k); code != 200 {
		t.Errorf("the new key does not work: %d", code)
	}
}

// TestTraversalIsRefused tries to reach files outside overlays/ and media/.
func TestTraversalIsRefused(t *testing.T) {
	e := newTestEnv(t)
	key := e.key("alerts")
	// a symbolic link inside media/ pointing outside, and one to a folder outside
	if err := os.Symlink(filepath.Join(e.root, "secret.txt"), filepath.Join(e.root, "media", "link.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.root, filepath.Join(e.root, "media", "up")); err != nil {
		t.Fatal(err)
	}
	// a FIFO with an image name: opening it would block a reader forever
	if err := syscall.Mkfifo(filepath.Join(e.root, "media", "pipe.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	// an overlay folder that is a link to elsewhere
	if err := os.Symlink(e.root, filepath.Join(e.root, "overlays", "evil")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(e.root, "up.png"), string(pngBytes))
	for _, p := range []string{
		"/overlay/../secret.txt",
		"/overlay/..%2fsecret.txt",
		"/overlay/alerts/../../secret.txt?key=" + key,
		"/overlay/alerts/media/../secret.txt?key=" + key,
		"/overlay/alerts/media/..%2fsecret.txt?key=" + key,
		"/overlay/alerts/media/%2e%2e/secret.txt?key=" + key,
		"/overlay/alerts/media/..%5csecret.txt?key=" + key,
		"/overlay/alerts/media/%2fetc%2fpasswd?key=" + key,
		"/overlay/alerts/media//etc/passwd?key=" + key,
		"/overlay/alerts/media/link.png?key=" + key,
		"/overlay/alerts/media/up/up.png?key=" + key,
		"/overlay/alerts/media/up/secret.txt?key=" + key,
		"/overlay/alerts/media/pipe.png?key=" + key,
		"/overlay/alerts/media/sub?key=" + key,
		"/overlay/alerts/media/fake.png?key=" + key,
		"/overlay/alerts/media/.hidden.png?key=" + key,
		"/overlay/alerts/media/follow.png%00.txt?key=" + key,
		"/overlay/alerts/style.css?key=" + key,
		"/overlay/alerts/index.html?key=" + key,
		"/overlay/evil?key=" + key,
		"/overlay/evil/media/follow.png?key=" + key,
		"/overlay/alerts/?key=" + key,
	} {
		done := make(chan struct{})
		var code int
		var body string
		go func() { code, body = e.get(p); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("GET %s hangs", p)
		}
		if code == 200 || strings.Contains(body, "TOP SECRET") {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
	}
	if code, body := e.get("/overlay/alerts/media/sub/tier2.png?key=" + key); code != 200 || body != string(pngBytes) {
		t.Errorf("a media file in a sub-folder: %d", code)
	}
	// a script naming such files is refused too
	for _, img := range []string{"link.png", "pipe.png", "fake.png", "up/up.png", "missing.png"} {
		if _, err := e.m.Alert(context.Background(), "test", map[string]any{"image": img}); err == nil {
			t.Errorf("an alert with image %q was queued", img)
		}
	}
}

func TestMediaIsServedWithItsType(t *testing.T) {
	e := newTestEnv(t)
	key := e.key("alerts")
	resp, err := e.srv.Client().Get(e.srv.URL + "/overlay/alerts/media/follow.png?key=" + key)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	// too big
	big := make([]byte, MaxMediaFile+1)
	copy(big, pngBytes)
	write(t, filepath.Join(e.root, "media", "big.png"), string(big))
	if code, _ := e.get("/overlay/alerts/media/big.png?key=" + key); code == 200 {
		t.Errorf("a file over the size limit was served")
	}
}

func TestAlertsShowOneAtATimeInOrder(t *testing.T) {
	e := newTestEnv(t)
	// queued while no browser source is open: they wait
	var ids []string
	for _, who := range []string{"Alice", "Bob", "Carol"} {
		ids = append(ids, e.alert(map[string]any{"kind": "follow", "title": "New follower", "text": who, "duration": 0.5}))
	}
	preview := e.open("alerts", true) // a panel preview does not count as a source
	preview.none("alert", 200*time.Millisecond)
	p := e.open("alerts", false)
	start := time.Now()
	for i, who := range []string{"Alice", "Bob", "Carol"} {
		a := p.nextAlert()
		if a["text"] != who || a["id"] != ids[i] {
			t.Fatalf("alert %d: %v, want %s", i, a, who)
		}
		if ev := e.event(EventShown); ev.Data["id"] != ids[i] || ev.Data["text"] != who || ev.Data["module"] != "test" {
			t.Fatalf("shown event %v", ev.Data)
		}
		if err := EventSpecs[0].Check(e.lastShown.Data); err != nil {
			t.Errorf("shown event against its spec: %v", err)
		}
		end := p.next("end")
		if end["id"] != ids[i] {
			t.Fatalf("end %v", end)
		}
		if ev := e.event(EventDone); ev.Data["id"] != ids[i] || ev.Data["skipped"] != false {
			t.Fatalf("done event %v", ev.Data)
		} else if err := EventSpecs[1].Check(ev.Data); err != nil {
			t.Errorf("done event against its spec: %v", err)
		}
	}
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Errorf("three alerts of 0.5 s took %v: they overlapped", el)
	}
	// the preview saw them too
	if a := preview.next("alert")["alert"].(map[string]any); a["text"] != "Alice" {
		t.Errorf("preview got %v", a)
	}
}

func TestQueueIsBoundedWhileNoSourceIsOpen(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxWaiting = 3 })
	for i := range 3 {
		e.alert(map[string]any{"text": strings.Repeat("x", i+1)})
	}
	_, err := e.m.Alert(context.Background(), "test", map[string]any{"text": "one too many"})
	if err == nil || !strings.Contains(err.Error(), "is its browser source open") {
		t.Fatalf("a full queue took another alert: %v", err)
	}
}

func TestPanelControls(t *testing.T) {
	e := newTestEnv(t)
	p := e.open("alerts", false)
	if err := e.m.Pause("alerts", true); err != nil {
		t.Fatal(err)
	}
	e.alert(map[string]any{"text": "one", "duration": 30})
	e.alert(map[string]any{"text": "two", "duration": 30})
	e.alert(map[string]any{"text": "three", "duration": 30})
	p.none("alert", 150*time.Millisecond)
	if info, _ := e.m.Info("alerts"); !info.Paused || len(info.Waiting) != 3 || info.Sources != 1 {
		t.Fatalf("info %s", jsonString(info))
	}
	e.m.Pause("alerts", false)
	if a := p.nextAlert(); a["text"] != "one" {
		t.Fatalf("got %v", a)
	}
	e.event(EventShown)
	// skip ends a 30 s alert now, and the next follows
	e.m.Skip("alerts")
	if ev := e.event(EventDone); ev.Data["skipped"] != true {
		t.Fatalf("done %v", ev.Data)
	}
	if a := p.nextAlert(); a["text"] != "two" {
		t.Fatalf("got %v", a)
	}
	if n, _ := e.m.Clear("alerts"); n != 1 {
		t.Fatalf("cleared %d, want 1", n)
	}
	e.m.Skip("alerts")
	p.none("alert", 150*time.Millisecond)
	// replay the last two: one, two
	if n, _ := e.m.Replay("alerts", 2); n != 2 {
		t.Fatalf("replayed %d", n)
	}
	if a := p.nextAlert(); a["text"] != "one" {
		t.Fatalf("replay got %v", a)
	}
	e.m.Skip("alerts")
	if a := p.nextAlert(); a["text"] != "two" {
		t.Fatalf("replay got %v", a)
	}
}

func TestAnAlertNotYetShownWaitsForTheNextSource(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.AckWait = 30 * time.Second })
	p := e.open("alerts", false)
	e.alert(map[string]any{"text": "keep me"})
	p.next("alert") // received but never said shown
	p.conn.Close()
	time.Sleep(100 * time.Millisecond)
	if info, _ := e.m.Info("alerts"); info.Current != nil || len(info.Waiting) != 1 {
		t.Fatalf("after the source closed: %s", jsonString(info))
	}
	p2 := e.open("alerts", false)
	if a := p2.nextAlert(); a["text"] != "keep me" {
		t.Fatalf("got %v", a)
	}
}

func TestSendReachesPagesAndNewOnes(t *testing.T) {
	e := newTestEnv(t)
	p := e.open("alerts", false)
	if err := e.m.Send(context.Background(), "test", "alerts", map[string]any{"id": "goal", "value": int64(3)}); err != nil {
		t.Fatal(err)
	}
	if d := p.next("data")["data"].(map[string]any); d["value"] != float64(3) {
		t.Fatalf("data %v", d)
	}
	e.m.Send(context.Background(), "test", "alerts", map[string]any{"id": "goal", "value": int64(4)})
	p2 := e.open("alerts", false)
	if d := p2.next("data")["data"].(map[string]any); d["value"] != float64(4) {
		t.Fatalf("a new page got %v, want the last value", d)
	}
	if err := e.m.Send(context.Background(), "test", "nope", 1); err == nil {
		t.Fatal("send to a missing overlay worked")
	}
	if err := e.m.Send(context.Background(), "test", "alerts", strings.Repeat("x", MaxData)); err == nil {
		t.Fatal("an oversized payload was sent")
	}
}

func TestSavedCSSReachesOpenPagesOtherFilesReload(t *testing.T) {
	e := newTestEnv(t)
	p := e.open("alerts", false)
	css := ".card { background: red; }"
	write(t, filepath.Join(e.m.Dir(), "alerts", "style.css"), css)
	if m := p.next("css"); m["file"] != "style.css" || m["text"] != css {
		t.Fatalf("css message %v", m)
	}
	write(t, filepath.Join(e.m.Dir(), "alerts", "alerts.js"), "// changed")
	p.next("reload")
}

func TestTheDefaultOverlayIsWrittenOnceAndServedBuiltInWithoutAFolder(t *testing.T) {
	e := newTestEnv(t)
	if _, err := os.Stat(filepath.Join(e.m.Dir(), "alerts", "style.css")); err != nil {
		t.Fatalf("the default overlay was not written: %v", err)
	}
	os.RemoveAll(filepath.Join(e.m.Dir(), "alerts"))
	if code, body := e.get("/overlay/alerts?key=" + e.key("alerts")); code != 200 || !strings.Contains(body, `id="stage"`) {
		t.Fatalf("without its folder the alerts overlay is %d", code)
	}
}

// TestKeysSurviveARestart: the browser source URL stays valid.
func TestKeysSurviveARestart(t *testing.T) {
	e := newTestEnv(t)
	k := e.key("alerts")
	m2, err := New(e.m.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if k2, _ := m2.Key("alerts"); k2 != k {
		t.Fatalf("key changed across a restart")
	}
}

func TestATestAlertWithoutASourceShowsInThePreviewOnly(t *testing.T) {
	e := newTestEnv(t)
	preview := e.open("alerts", true)
	a, previewOnly, err := e.m.Test("alerts", "raid")
	if err != nil || !previewOnly {
		t.Fatalf("test: %v %v", previewOnly, err)
	}
	if got := preview.next("alert")["alert"].(map[string]any); got["id"] != a.ID || got["kind"] != "raid" {
		t.Fatalf("preview got %v", got)
	}
	if info, _ := e.m.Info("alerts"); len(info.Waiting) != 0 || info.Current != nil {
		t.Fatalf("the test alert was queued: %s", jsonString(info))
	}
	// with a browser source open it goes through the queue like any alert
	p := e.open("alerts", false)
	if _, previewOnly, _ := e.m.Test("alerts", "follow"); previewOnly {
		t.Fatal("with a source open the test alert was preview-only")
	}
	if got := p.nextAlert(); got["kind"] != "follow" || got["title"] != "New follower" {
		t.Fatalf("source got %v", got)
	}
	if ev := e.event(EventShown); ev.Data["module"] != "panel" {
		t.Fatalf("shown %v", ev.Data)
	}
	if _, _, err := e.m.Test("alerts", "nope"); err == nil {
		t.Fatal("an unknown test kind was accepted")
	}
}
