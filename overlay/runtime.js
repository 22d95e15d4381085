// StarStreamer overlay runtime: inlined into every overlay page by the engine.
// It keeps a WebSocket to the engine (reconnecting by itself when the engine
// restarts) and hands what arrives to the overlay's own code:
//
//   overlay.on("alert", a => ...)  a = {id, kind, title, text, image, sound, accent, duration}
//   overlay.on("end", id => ...)   the alert's time is over (or it was skipped)
//   overlay.on("data", d => ...)   whatever a script sent with overlay.send(name, d)
//   overlay.media("follow.png")    the URL of a file of the media folder
//
// After the "alert" handlers ran and the browser painted, the runtime tells
// the engine the alert is on screen (overlay.alert.shown). A saved .css file
// is swapped in place; any other saved file reloads the page.
(() => {
  "use strict";
  const cfg = window.__overlay || {};
  const params = new URLSearchParams(location.search);
  const key = params.get("key") || "";
  const preview = params.get("preview") === "1";
  const handlers = {};
  const root = document.documentElement;
  const api = {
    name: cfg.name, preview,
    on(type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    media(file) {
      return "/overlay/" + encodeURIComponent(cfg.name) + "/media/" +
        String(file).split("/").map(encodeURIComponent).join("/") + "?key=" + encodeURIComponent(key);
    },
  };
  window.overlay = api;
  if (preview) root.dataset.preview = "1";

  function fire(type, arg) {
    for (const fn of handlers[type] || []) {
      try { fn(arg); } catch (e) { console.error("overlay " + type + " handler:", e); }
    }
  }

  let ws = null, delay = 250;
  function send(m) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(m)); }

  function ack(id) {
    if (preview) return;
    let sent = false;
    const done = () => { if (!sent) { sent = true; send({ type: "shown", id }); } };
    requestAnimationFrame(() => requestAnimationFrame(done));
    setTimeout(done, 1000); // a hidden source paints no frames
  }

  function setCSS(file, text) {
    let el = [...document.querySelectorAll("style[data-file]")].find(s => s.dataset.file === file);
    if (!el) {
      el = document.createElement("style");
      el.dataset.file = file;
      document.head.appendChild(el);
    }
    el.textContent = text;
  }

  function handle(m) {
    switch (m.type) {
      case "hello":
        if (cfg.version && m.version !== cfg.version) location.reload(); // files changed while away
        fire("connected", m);
        break;
      case "alert": fire("alert", m.alert); ack(m.alert.id); break;
      case "end": fire("end", m.id); break;
      case "data": fire("data", m.data); break;
      case "css": setCSS(m.file, m.text); fire("css", m.file); break;
      case "reload": location.reload(); break;
    }
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/overlay/" + encodeURIComponent(cfg.name) + "/ws?key=" +
      encodeURIComponent(key) + (preview ? "&preview=1" : ""));
    ws.onopen = () => { delay = 250; root.dataset.connection = "open"; };
    ws.onmessage = ev => { let m; try { m = JSON.parse(ev.data); } catch (e) { return; } handle(m); };
    ws.onclose = ev => {
      root.dataset.connection = "closed";
      fire("disconnected", ev.code);
      // 4003: the key was changed, this URL is dead; retry slowly in case it comes back.
      setTimeout(connect, ev.code === 4003 ? 10000 : delay);
      delay = Math.min(delay * 2, 3000);
    };
  }
  connect();
})();
