// StarStreamer alerts overlay: one card at a time, as the engine sends them.
// Colours and icons per alert kind are below; an alert's own "accent" wins.
(() => {
  "use strict";
  const ov = window.overlay;
  const stage = document.getElementById("stage");

  // Icons: 24x24 SVG paths (no external assets).
  const ICON = {
    heart: "M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 21.35z",
    star: "M12 17.27L18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z",
    gift: "M20 7h-2.2c.1-.3.2-.7.2-1 0-1.7-1.3-3-3-3-1 0-2 .5-2.5 1.4L12 5l-.5-.6C11 3.5 10 3 9 3 7.3 3 6 4.3 6 6c0 .3.1.7.2 1H4c-1.1 0-2 .9-2 2v3h1v8c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2v-8h1V9c0-1.1-.9-2-2-2zM15 5c.6 0 1 .4 1 1s-.4 1-1 1h-2.1l1.2-1.4c.2-.4.5-.6.9-.6zM9 5c.4 0 .7.2.9.6L11.1 7H9c-.6 0-1-.4-1-1s.4-1 1-1zm2 15H5v-8h6v8zm0-10H4V9h7v1zm8 10h-6v-8h6v8zm1-10h-7V9h7v1z",
    people: "M16 11c1.66 0 2.99-1.34 2.99-3S17.66 5 16 5c-1.66 0-3 1.34-3 3s1.34 3 3 3zm-8 0c1.66 0 2.99-1.34 2.99-3S9.66 5 8 5C6.34 5 5 6.34 5 8s1.34 3 3 3zm0 2c-2.33 0-7 1.17-7 3.5V19h14v-2.5c0-2.33-4.67-3.5-7-3.5zm8 0c-.29 0-.62.02-.97.05 1.16.84 1.97 1.97 1.97 3.45V19h6v-2.5c0-2.33-4.67-3.5-7-3.5z",
    gem: "M6 3h12l4 6-10 12L2 9l4-6zm1.1 2L4.6 8.7h4.3L10.4 5H7.1zm6.5 0l1.5 3.7h4.3L16.9 5h-3.3zM12 5.4L10.7 8.7h2.6L12 5.4zM5 10.7l5.8 7-2.1-7H5zm5.8 0L12 15.6l1.2-4.9h-2.4zm4.5 0l-2.1 7 5.8-7h-3.7z",
    bolt: "M7 2v11h3v9l7-12h-4l4-8z",
    flame: "M13.5.67s.74 2.65.74 4.8c0 2.06-1.35 3.73-3.41 3.73-2.07 0-3.63-1.67-3.63-3.73l.03-.36C5.21 7.51 4 10.62 4 14c0 4.42 3.58 8 8 8s8-3.58 8-8C20 8.61 17.41 3.8 13.5.67zM11.71 19c-1.78 0-3.22-1.4-3.22-3.14 0-1.62 1.05-2.76 2.81-3.12 1.77-.36 3.6-1.21 4.62-2.58.39 1.29.59 2.65.59 4.04 0 2.65-2.15 4.8-4.8 4.8z",
    bell: "M12 22c1.1 0 2-.9 2-2h-4c0 1.1.89 2 2 2zm6-6v-5c0-3.07-1.64-5.64-4.5-6.32V4c0-.83-.67-1.5-1.5-1.5s-1.5.67-1.5 1.5v.68C7.63 5.36 6 7.92 6 11v5l-2 2v1h16v-1l-2-2z",
  };
  const KINDS = {
    follow: { color: "#9146ff", icon: "heart" },
    sub: { color: "#ff3d8b", icon: "star" },
    resub: { color: "#ff3d8b", icon: "star" },
    gift: { color: "#f5a524", icon: "gift" },
    raid: { color: "#ff5a36", icon: "people" },
    cheer: { color: "#9c3ee8", icon: "gem" },
    channel_point: { color: "#00b5a0", icon: "bolt" },
    hype_train: { color: "#ff7a1a", icon: "flame" },
    alert: { color: "#6c5cff", icon: "bell" },
  };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text; // never HTML: names come from chat
    return e;
  }

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", ICON[name] || ICON.bell);
    svg.appendChild(p);
    return svg;
  }

  function rgb(hex) {
    let h = String(hex).replace("#", "");
    if (h.length === 3) h = h.split("").map(c => c + c).join("");
    const n = parseInt(h, 16);
    return isNaN(n) ? [108, 92, 255] : [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const mix = (c, t, w) => c.map((v, i) => Math.round(v + (t[i] - v) * w));
  const css = (c, a) => "rgba(" + c.join(",") + "," + (a == null ? 1 : a) + ")";

  let cur = null;

  function show(a) {
    if (cur) hide(cur, true);
    const kind = KINDS[a.kind] || KINDS[String(a.kind).split(/[-_]/)[0]] || KINDS.alert;
    const base = rgb(a.accent || kind.color);
    const card = el("div", "card");
    card.dataset.kind = a.kind;
    card.dataset.id = a.id;
    card.style.setProperty("--accent", css(base));
    card.style.setProperty("--accent-hi", css(mix(base, [255, 255, 255], 0.45)));
    card.style.setProperty("--accent-glow", css(base, 0.55));
    card.style.setProperty("--accent-soft", css(base, 0.32));
    card.style.setProperty("--duration", a.duration + "s");
    const badge = el("div", "badge");
    if (a.image) {
      const img = el("img");
      img.alt = "";
      img.src = ov.media(a.image);
      badge.classList.add("has-image");
      badge.appendChild(img);
    } else {
      badge.appendChild(icon(kind.icon));
    }
    const body = el("div", "body");
    if (a.title) body.appendChild(el("div", "title", a.title));
    if (a.text) body.appendChild(el("div", "text", a.text));
    const bar = el("div", "bar");
    bar.appendChild(el("i"));
    card.append(el("div", "shine"), badge, body, bar);
    stage.appendChild(card);
    const c = { id: a.id, el: card };
    if (a.sound) {
      c.audio = new Audio(ov.media(a.sound));
      c.audio.volume = 0.8;
      c.audio.play().catch(() => {});
    }
    // The engine ends the alert; this only clears it if the engine went away.
    c.timer = setTimeout(() => hide(c), (a.duration + 5) * 1000);
    cur = c;
  }

  function hide(c, now) {
    clearTimeout(c.timer);
    if (cur === c) cur = null;
    c.el.classList.add("out");
    setTimeout(() => c.el.remove(), now ? 0 : 480);
  }

  ov.on("alert", show);
  ov.on("end", id => { if (cur && cur.id === id) hide(cur); });
})();
