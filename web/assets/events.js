// /events: live feed with a pattern filter, test events from templates, and a
// chart of events/s and handler time per module drawn on a canvas.
"use strict";
(() => {
  const { $, h, api, toast, clock, feed } = SS;
  const MAX_ROWS = 300;
  let paused = false, count = 0;

  // ---- feed ----
  // unhandled: no module listens to the event's type (the server says so)
  function row(e, unhandled) {
    const data = JSON.stringify(e.data);
    const cls = (e.type.startsWith("engine.") ? "ty-engine" : "") + (unhandled ? " unhandled" : "");
    const li = h("li", { class: cls.trim(), dataset: { type: e.type } },
      h("span", { class: "t" }, clock(e.timestamp)),
      h("span", { class: "ty", title: unhandled ? e.type + ": no module handles it" : e.type }, e.type),
      h("span", { class: "src" }, e.source || "", unhandled ? h("span", { class: "uh", title: "No module listens to this event type" }, " unhandled") : ""),
      h("span", { class: "d", title: "Click to expand" }, data));
    li.querySelector(".d").addEventListener("click", () => {
      li.classList.toggle("open");
      li.querySelector(".d").textContent = li.classList.contains("open") ? JSON.stringify(e.data, null, 2) : data;
    });
    return li;
  }
  const list = $("#feed");
  const live = feed(localStorage.getItem("ss.filter") || "", (msg) => {
    // the server confirms each filter it applies: keep it on the input
    if (msg.kind === "hello") { $("#feed-filter").dataset.active = msg.pattern || ""; return; }
    if (msg.kind !== "event" || paused) return;
    list.prepend(row(msg.event, msg.unhandled));
    while (list.children.length > MAX_ROWS) list.lastChild.remove();
    count++;
    $("#feed-count").textContent = count;
    $("#feed-empty").hidden = true;
  });
  const filter = $("#feed-filter");
  filter.value = localStorage.getItem("ss.filter") || "";
  const validPattern = (p) => p.split(",").every((x) => /^[A-Za-z0-9._:*-]*$/.test(x.trim()));
  let ft;
  filter.addEventListener("input", () => {
    clearTimeout(ft);
    ft = setTimeout(() => {
      const p = filter.value.trim();
      const ok = validPattern(p);
      $("#filter-error").hidden = ok;
      $("#filter-error").textContent = ok ? "" : "A pattern uses letters, digits, . _ - : and * (comma between several).";
      if (!ok) return;
      localStorage.setItem("ss.filter", p);
      live.setPattern(p);
    }, 250);
  });
  $("#btn-pause").addEventListener("click", (e) => { paused = !paused; e.currentTarget.textContent = paused ? "Resume" : "Pause"; });
  $("#btn-clear").addEventListener("click", () => { list.replaceChildren(); count = 0; $("#feed-count").textContent = "0"; $("#feed-empty").hidden = false; });

  // ---- fire ----
  let templates = [];
  function pick(t, btn) {
    $("#fire-type").value = t.type;
    $("#fire-data").value = JSON.stringify(t.data, null, 2);
    for (const b of $("#tpl-buttons").children) b.classList.toggle("sel", b === btn);
  }
  api("GET", "/api/templates").then((ts) => {
    templates = ts;
    const box = $("#tpl-buttons");
    for (const t of ts) {
      const b = h("button", { class: "btn small", type: "button", dataset: { template: t.name }, title: t.type }, t.label);
      b.addEventListener("click", () => pick(t, b));
      box.append(b);
    }
    if (ts.length) pick(ts[0], box.firstChild);
  }).catch((e) => toast("Cannot load templates: " + e.message, "bad"));
  $("#btn-fire").addEventListener("click", async (e) => {
    const btn = e.currentTarget;
    let data;
    try { data = JSON.parse($("#fire-data").value || "{}"); } catch (err) { toast("Data is not valid JSON: " + err.message, "bad"); return; }
    btn.disabled = true;
    try {
      const res = await api("POST", "/api/events", { type: $("#fire-type").value.trim(), data });
      $("#fire-result").textContent = "Fired " + res.type + " · id " + res.id + (res.unhandled ? " · no module handles it" : "");
    } catch (err) { toast("Not fired: " + err.message, "bad"); } finally { btn.disabled = false; }
  });

  // ---- chart ----
  const canvas = $("#chart"), ctx = canvas.getContext("2d");
  const N = 60, palette = ["#a78bfa", "#38bdf8", "#f59e0b", "#22c55e", "#f472b6", "#ef4444", "#14b8a6", "#eab308"];
  const series = { events: [] }, handler = new Map(); // module -> [ms per s]
  let prev = null;
  function push(arr, v) { arr.push(v); while (arr.length > N) arr.shift(); }
  async function sample() {
    let st;
    try { st = await api("GET", "/api/stats"); } catch (_) { return; }
    const at = new Date(st.at).getTime();
    if (prev) {
      const dt = Math.max((at - prev.at) / 1000, 0.001);
      push(series.events, Math.max(0, (st.bus.events - prev.events) / dt));
      const seen = new Set();
      for (const m of st.modules) {
        seen.add(m.name);
        if (!handler.has(m.name)) handler.set(m.name, new Array(series.events.length - 1).fill(0));
        const before = prev.ms[m.name] || 0;
        push(handler.get(m.name), Math.max(0, (m.handler_ms - before) / dt));
      }
      for (const [name, arr] of handler) if (!seen.has(name)) push(arr, 0);
      $("#chart-rate").textContent = series.events[series.events.length - 1].toFixed(1) + " events/s";
      $("#chart-lat").textContent = "dispatch p99 " + (st.bus.dispatch_latency.p99_us >= 1000 ? (st.bus.dispatch_latency.p99_us / 1000).toFixed(1) + " ms" : Math.round(st.bus.dispatch_latency.p99_us) + " µs");
    }
    prev = { at, events: st.bus.events, ms: Object.fromEntries(st.modules.map((m) => [m.name, m.handler_ms])) };
    draw();
  }
  function draw() {
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, hgt = canvas.clientHeight;
    if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = hgt * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const padL = 40, padR = 44, padT = 10, padB = 18, cw = w - padL - padR, ch = hgt - padT - padB;
    const maxE = Math.max(1, ...series.events), maxH = Math.max(0.5, ...[...handler.values()].flat());
    ctx.font = "10px system-ui, sans-serif";
    ctx.strokeStyle = "#232838"; ctx.fillStyle = "#6b7289"; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = padT + ch - (ch * i) / 4;
      ctx.beginPath(); ctx.moveTo(padL, y); ctx.lineTo(padL + cw, y); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(((maxE * i) / 4).toFixed(maxE < 4 ? 1 : 0), padL - 6, y + 3);
      ctx.textAlign = "left"; ctx.fillText(((maxH * i) / 4).toFixed(maxH < 4 ? 1 : 0) + "ms", padL + cw + 6, y + 3);
    }
    ctx.textAlign = "left"; ctx.fillText("events/s", padL, hgt - 4);
    ctx.textAlign = "right"; ctx.fillText("handler ms/s · last 60 s", padL + cw, hgt - 4);
    const line = (arr, max, color, fill) => {
      if (arr.length < 2) return;
      const x = (i) => padL + cw - ((arr.length - 1 - i) * cw) / (N - 1);
      const y = (v) => padT + ch - (v / max) * ch;
      ctx.beginPath();
      arr.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.stroke();
      if (fill) {
        ctx.lineTo(x(arr.length - 1), padT + ch); ctx.lineTo(x(0), padT + ch); ctx.closePath();
        const g = ctx.createLinearGradient(0, padT, 0, padT + ch);
        g.addColorStop(0, "rgba(167,139,250,.35)"); g.addColorStop(1, "rgba(167,139,250,0)");
        ctx.fillStyle = g; ctx.fill();
      }
    };
    line(series.events, maxE, palette[0], true);
    const legend = [h("span", { title: "events per second" }, "events/s")];
    legend[0].style.setProperty("--c", palette[0]);
    let i = 1;
    for (const [name, arr] of [...handler].sort()) {
      const color = palette[i++ % palette.length];
      line(arr, maxH, color, false);
      const s = h("span", { title: "handler time of " + name }, name);
      s.style.setProperty("--c", color);
      legend.push(s);
    }
    $("#chart-legend").replaceChildren(...legend);
  }
  sample();
  setInterval(sample, 1000);
  window.addEventListener("resize", draw);
})();
