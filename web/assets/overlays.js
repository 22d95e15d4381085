// Overlays page: the OBS URL of each overlay, a live preview, test alerts and
// the queue controls.
"use strict";
(() => {
  const { $, h, api, toast } = SS;
  const cards = new Map(); // name -> {el, key}
  const labels = { follow: "Follow", sub: "Sub", resub: "Resub", gift: "Gift bomb", raid: "Raid", cheer: "Cheer", channel_point: "Channel points", hype_train: "Hype train" };

  function urlOf(o) { return location.origin + "/overlay/" + encodeURIComponent(o.name) + "?key=" + encodeURIComponent(o.key); }

  function line(a, what) {
    return h("li", { class: "ov-alert " + what }, h("span", { class: "chip" }, a.kind), " ",
      h("b", {}, a.title || ""), " ", a.text || "", h("span", { class: "muted small" }, " · " + what));
  }

  async function act(name, action, query) {
    try {
      const r = await api("POST", "/api/overlays/" + encodeURIComponent(name) + "/" + action + (query || ""));
      render(r.info);
      return r;
    } catch (e) {
      toast(e.message, "bad");
    }
  }

  function build(o, kinds) {
    const el = $("#tpl-overlay").content.firstElementChild.cloneNode(true);
    el.id = "ov-" + o.name;
    el.querySelector("[data-role=name]").textContent = o.name;
    const tests = el.querySelector("[data-role=tests]");
    for (const k of kinds) {
      tests.append(h("button", { class: "btn", type: "button", dataset: { test: k }, onclick: async () => {
        const r = await act(o.name, "test", "?kind=" + k);
        if (r && r.preview_only) toast("No browser source is open: the test alert shows in the preview only.");
      } }, labels[k] || k));
    }
    el.addEventListener("click", async ev => {
      const b = ev.target.closest("button[data-action]");
      if (!b) return;
      const a = b.dataset.action;
      if (a === "copy") {
        const input = el.querySelector("[data-role=url]");
        try { await navigator.clipboard.writeText(input.value); } catch (_) { input.select(); document.execCommand("copy"); }
        toast("Copied. In OBS: Sources → + → Browser → paste as URL, 1920×1080.");
      } else if (a === "rotate-key") {
        if (!confirm("Make a new key for " + o.name + "? Browser sources with the old URL stop showing alerts until you paste the new one.")) return;
        if (await act(o.name, "rotate-key")) toast("New key: copy the new URL into OBS.");
      } else if (a === "replay") {
        act(o.name, "replay", "?n=" + encodeURIComponent(el.querySelector("[data-role=replay-n]").value || "1"));
      } else {
        act(o.name, a);
      }
    });
    $("#ov-list").append(el);
    const box = el.querySelector(".ov-preview");
    new ResizeObserver(() => box.style.setProperty("--ov-scale", box.clientWidth / 1920)).observe(box);
    const c = { el, key: "" };
    cards.set(o.name, c);
    return c;
  }

  function render(o, kinds) {
    const c = cards.get(o.name) || build(o, kinds || []);
    const el = c.el;
    if (c.key !== o.key) {
      c.key = o.key;
      el.querySelector("[data-role=url]").value = urlOf(o);
      el.querySelector("[data-role=preview]").src = urlOf(o) + "&preview=1";
    }
    el.dataset.sources = o.sources;
    el.dataset.paused = o.paused ? "1" : "0";
    el.querySelector("[data-role=sources]").textContent = o.sources + (o.sources === 1 ? " source" : " sources");
    const st = el.querySelector("[data-role=state]");
    st.textContent = o.paused ? "paused" : o.current ? "showing" : o.sources ? "ready" : "no source open";
    st.className = "status " + (o.paused ? "awaiting_approval" : o.sources ? "running" : "");
    el.querySelector("[data-action=pause]").hidden = o.paused;
    el.querySelector("[data-action=resume]").hidden = !o.paused;
    const q = el.querySelector("[data-role=queue]");
    q.replaceChildren(
      ...(o.current ? [line(o.current, "on screen")] : []),
      ...o.waiting.map(a => line(a, "waiting")),
      ...o.history.slice(-5).reverse().map(a => line(a, "done")));
    if (!q.children.length) q.append(h("li", { class: "muted small" }, "No alerts yet."));
  }

  async function refresh() {
    try {
      const r = await api("GET", "/api/overlays");
      $("#ov-empty").hidden = r.overlays.length > 0;
      for (const o of r.overlays) render(o, r.test_kinds);
    } catch (e) {
      $("#ov-empty").textContent = e.status === 404 ? "Overlays are not enabled in this engine." : e.message;
    }
  }
  refresh();
  setInterval(refresh, 1500);
})();
