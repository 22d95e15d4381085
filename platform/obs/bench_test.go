package obs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/andreykaipov/goobs/api/events"
	"github.com/andreykaipov/goobs/api/requests/scenes"
	"github.com/starstreamer/starstreamer/platform/obs/obstest"
)

// reportLatency reports the p50 and p99 of ds in microseconds.
func reportLatency(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50_µs")
	b.ReportMetric(at(0.99), "p99_µs")
}

// BenchmarkSetSceneToEvent measures a scene switch from the request to the
// scene change event: through Client (SetScene → Emit) and through a bare
// goobs client (SetCurrentProgramScene → its event channel), on the same OBS.
// OBS announces a switch when it renders the next frame, so both include up
// to one frame (33 ms at 30 fps) of OBS' own time; the difference is what
// Client adds. Use -benchtime=200x or more for a meaningful p99.
func BenchmarkSetSceneToEvent(b *testing.B) {
	o := shared.Get(b)
	other := map[string]string{obstest.SceneA: obstest.SceneB, obstest.SceneB: obstest.SceneA}

	b.Run("client", func(b *testing.B) {
		seen := make(chan string, 16)
		c := runClient(b, Config{Addr: o.Addr, Password: o.Password}, func(typ string, data map[string]any) {
			if typ == "obs.connected" {
				seen <- ""
			}
			if typ == "obs.scene_changed" {
				seen <- data["scene_name"].(string)
			}
		})
		<-seen
		ctx := context.Background()
		scene, err := c.CurrentScene(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			scene = other[scene]
			t0 := time.Now()
			if err := c.SetScene(ctx, scene); err != nil {
				b.Fatal(err)
			}
			for s := range seen {
				if s == scene {
					break
				}
			}
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, ds)
	})

	b.Run("goobs", func(b *testing.B) {
		gc := rawGoobs(b, o)
		cur, err := gc.Scenes.GetCurrentProgramScene()
		if err != nil {
			b.Fatal(err)
		}
		scene := cur.CurrentProgramSceneName
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			scene = other[scene]
			t0 := time.Now()
			if _, err := gc.Scenes.SetCurrentProgramScene(scenes.NewSetCurrentProgramSceneParams().WithSceneName(scene)); err != nil {
				b.Fatal(err)
			}
			for ev := range gc.IncomingEvents {
				if e, ok := ev.(*events.CurrentProgramSceneChanged); ok && e.SceneName == scene {
					break
				}
			}
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, ds)
	})
}

// BenchmarkRequest measures one request round trip (the program scene),
// through Client.CurrentScene and through goobs' typed call; no frame wait.
func BenchmarkRequest(b *testing.B) {
	o := shared.Get(b)
	b.Run("client", func(b *testing.B) {
		ready := make(chan struct{}, 1)
		c := runClient(b, Config{Addr: o.Addr, Password: o.Password}, func(typ string, _ map[string]any) {
			if typ == "obs.connected" {
				ready <- struct{}{}
			}
		})
		<-ready
		ctx := context.Background()
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			if _, err := c.CurrentScene(ctx); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, ds)
	})
	b.Run("goobs", func(b *testing.B) {
		gc := rawGoobs(b, o)
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			if _, err := gc.Scenes.GetCurrentProgramScene(); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, ds)
	})
}

// BenchmarkEventPathVsGoobs isolates what Client adds on the event path
// (drain, queue, mapping, Emit): a Client and a bare goobs client listen to
// the same OBS; each switch is made by a third connection, and the metric is
// the time from the bare goobs client reading the CurrentProgramSceneChanged
// to Client's Emit of obs.scene_changed for it. OBS writes the event to each
// connection in turn, so a few µs either way are OBS', not ours.
func BenchmarkEventPathVsGoobs(b *testing.B) {
	o := shared.Get(b)
	other := map[string]string{obstest.SceneA: obstest.SceneB, obstest.SceneB: obstest.SceneA}

	type arrival struct {
		scene string
		at    time.Time
	}
	ours := make(chan arrival, 16)
	c := runClient(b, Config{Addr: o.Addr, Password: o.Password}, func(typ string, data map[string]any) {
		switch typ {
		case "obs.connected":
			ours <- arrival{}
		case "obs.scene_changed":
			ours <- arrival{data["scene_name"].(string), time.Now()}
		}
	})
	<-ours
	listener := rawGoobs(b, o)
	theirs := make(chan arrival, 16)
	go func() {
		for ev := range listener.IncomingEvents {
			if e, ok := ev.(*events.CurrentProgramSceneChanged); ok {
				theirs <- arrival{e.SceneName, time.Now()}
			}
		}
	}()
	driver := rawGoobs(b, o)
	scene, err := c.CurrentScene(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	wait := func(ch chan arrival, scene string) time.Time {
		for a := range ch {
			if a.scene == scene {
				return a.at
			}
		}
		return time.Time{}
	}
	deltas := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		scene = other[scene]
		if _, err := driver.Scenes.SetCurrentProgramScene(scenes.NewSetCurrentProgramSceneParams().WithSceneName(scene)); err != nil {
			b.Fatal(err)
		}
		t1 := wait(theirs, scene)
		t2 := wait(ours, scene)
		deltas = append(deltas, t2.Sub(t1))
	}
	b.StopTimer()
	reportLatency(b, deltas)
}
