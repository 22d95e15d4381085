// StarStreamer panel: helpers shared by every page. No framework, no build step.
"use strict";

const SS = (() => {
  const $ = (sel, root) => (root || document).querySelector(sel);

  // h builds an element: h("div", {class: "x", onclick: fn}, child, "text", ...).
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  // api calls the JSON API with the session cookie. It resolves to the parsed
  // body; a refusal throws an Error carrying .status and .body.
  async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (!res.ok) {
      const err = new Error((data && data.error) || res.status + " " + res.statusText);
      err.status = res.status; err.body = data;
      throw err;
    }
    return data;
  }

  function toast(msg, kind) {
    const t = h("div", { class: "toast " + (kind || ""), role: "status" }, msg);
    $("#toasts").append(t);
    setTimeout(() => t.remove(), kind === "bad" ? 8000 : 3500);
  }

  function ago(ts) {
    const s = (Date.now() - new Date(ts).getTime()) / 1000;
    if (!isFinite(s)) return "";
    if (s < 5) return "just now";
    if (s < 60) return Math.floor(s) + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return new Date(ts).toLocaleString();
  }

  function clock(ts) {
    const d = new Date(ts);
    return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
  }

  function setPill(id, state, label) {
    const p = document.getElementById(id);
    if (!p) return;
    p.classList.remove("on", "off", "mid");
    p.classList.add(state === "connected" || state === "on" ? "on" : state === "connecting" || state === "logging_in" || state === "mid" ? "mid" : "off");
    p.title = label;
    p.dataset.state = state;
  }

  // showConnections sets the header pills from a connections state (as
  // GET /api/connections and the feed's "connections" messages carry it).
  function showConnections(c) {
    for (const name of ["twitch", "obs"]) {
      const s = (c[name] || {}).state || "not_configured";
      setPill("pl-" + name, s, name + ": " + s.replace("_", " ") + " (open Connections)");
    }
  }

  async function refreshPlatforms() {
    try {
      const st = await api("GET", "/api/status");
      for (const name of ["twitch", "obs"]) {
        const s = (st.platforms || {})[name] || "not_configured";
        setPill("pl-" + name, s, name + ": " + s.replace("_", " ") + " (open Connections)");
      }
    } catch (_) { /* the feed pill shows the engine is away */ }
  }

  // feed keeps one WebSocket to /api/ws open, reconnecting with backoff.
  // onMessage gets every parsed message; setPattern changes the filter live.
  function feed(pattern, onMessage, onOpen) {
    let ws, delay = 500, current = pattern || "";
    function connect() {
      const proto = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(proto + location.host + "/api/ws?pattern=" + encodeURIComponent(current));
      ws.onopen = () => { delay = 500; setPill("pl-feed", "on", "Live feed connected"); if (onOpen) onOpen(); };
      ws.onmessage = (m) => {
        try {
          const msg = JSON.parse(m.data);
          if (msg.kind === "connections" && msg.connections) showConnections(msg.connections);
          onMessage(msg);
        } catch (e) { console.error(e); }
      };
      ws.onclose = () => {
        setPill("pl-feed", "off", "Live feed disconnected: retrying");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 8000);
      };
    }
    connect();
    return {
      setPattern(p) {
        current = p;
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ pattern: p }));
      },
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    refreshPlatforms();
    setInterval(refreshPlatforms, 5000);
  });

  return { $, h, api, toast, ago, clock, feed, setPill };
})();
