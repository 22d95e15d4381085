package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// metrics serves the bus and module counters in Prometheus' text format (0.0.4).
func (s *Server) metrics(c echo.Context) error {
	st := s.stats()
	var b strings.Builder
	help := func(name, typ, text string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
	}
	help("starstreamer_events_total", "counter", "Events emitted on the bus.")
	fmt.Fprintf(&b, "starstreamer_events_total %d\n", st.Bus.Events)

	help("starstreamer_events_by_type_total", "counter", "Events emitted on the bus, by type.")
	types := make([]string, 0, len(st.Bus.PerType))
	for t := range st.Bus.PerType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(&b, "starstreamer_events_by_type_total{type=\"%s\"} %d\n", labelValue(t), st.Bus.PerType[t])
	}

	help("starstreamer_bus_subscriptions", "gauge", "Handlers subscribed on the bus.")
	fmt.Fprintf(&b, "starstreamer_bus_subscriptions %d\n", st.Bus.Handlers)

	help("starstreamer_dispatch_latency_microseconds", "summary", "Time from Emit to the start of a handler.")
	for _, q := range []struct {
		q string
		v float64
	}{{"0.5", st.Bus.Latency.P50}, {"0.9", st.Bus.Latency.P90}, {"0.99", st.Bus.Latency.P99}} {
		fmt.Fprintf(&b, "starstreamer_dispatch_latency_microseconds{quantile=\"%s\"} %g\n", q.q, q.v)
	}
	fmt.Fprintf(&b, "starstreamer_dispatch_latency_microseconds_count %d\n", st.Bus.Latency.Count)

	mods := s.cfg.Registry.Modules()
	gauge := func(name, typ, text string, val func(i int) string) {
		help(name, typ, text)
		for i, m := range mods {
			fmt.Fprintf(&b, "%s{module=\"%s\"} %s\n", name, labelValue(m.Name), val(i))
		}
	}
	gauge("starstreamer_module_up", "gauge", "1 when the module is running.", func(i int) string {
		return boolNum(mods[i].Status == "running")
	})
	gauge("starstreamer_module_enabled", "gauge", "1 when the module is enabled.", func(i int) string { return boolNum(mods[i].Enabled) })
	gauge("starstreamer_module_handlers", "gauge", "Handlers of the running version.", func(i int) string { return fmt.Sprint(mods[i].Handlers) })
	gauge("starstreamer_module_invocations_total", "counter", "Handler invocations of the running version.", func(i int) string { return fmt.Sprint(mods[i].Invocations) })
	gauge("starstreamer_module_errors_total", "counter", "Handler errors, across reloads.", func(i int) string { return fmt.Sprint(mods[i].Errors) })
	gauge("starstreamer_module_dropped_total", "counter", "Events dropped because the module's mailbox was full.", func(i int) string { return fmt.Sprint(mods[i].Dropped) })
	gauge("starstreamer_module_heap_estimate_bytes", "gauge", "Estimated Lua heap of the module.", func(i int) string { return fmt.Sprint(mods[i].HeapEstimate) })
	help("starstreamer_module_reloads_total", "counter", "Loads and reloads of the module, by result.")
	for _, m := range mods {
		fmt.Fprintf(&b, "starstreamer_module_reloads_total{module=\"%s\",result=\"ok\"} %d\n", labelValue(m.Name), m.ReloadsSucceeded)
		fmt.Fprintf(&b, "starstreamer_module_reloads_total{module=\"%s\",result=\"failed\"} %d\n", labelValue(m.Name), m.ReloadsFailed)
	}
	help("starstreamer_module_handler_seconds_total", "counter", "Handler run time of the running version.")
	for _, m := range st.Modules {
		fmt.Fprintf(&b, "starstreamer_module_handler_seconds_total{module=\"%s\"} %g\n", labelValue(m.Name), m.HandlerMS/1e3)
	}

	help("starstreamer_web_clients", "gauge", "Open WebSocket connections of the live feed.")
	fmt.Fprintf(&b, "starstreamer_web_clients %d\n", st.WSClients)
	help("starstreamer_web_dropped_total", "counter", "Live-feed messages dropped for slow clients.")
	fmt.Fprintf(&b, "starstreamer_web_dropped_total %d\n", st.WSDropped)

	help("starstreamer_platform_connected", "gauge", "1 when the platform (twitch, obs) is connected.")
	plats := make([]string, 0, len(st.Platforms))
	for p := range st.Platforms {
		plats = append(plats, p)
	}
	sort.Strings(plats)
	for _, p := range plats {
		fmt.Fprintf(&b, "starstreamer_platform_connected{platform=\"%s\",state=\"%s\"} %s\n", labelValue(p), labelValue(st.Platforms[p]), boolNum(st.Platforms[p] == "connected"))
	}
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}

func boolNum(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// labelValue escapes a Prometheus label value.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
