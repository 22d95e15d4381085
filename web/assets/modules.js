// /modules: module cards, actions, live updates, install from paste, approval, config.
"use strict";
(() => {
  const { $, h, api, toast, ago, feed } = SS;
  const mods = new Map(); // name -> state
  let permWords = {};

  function setTotals(t) {
    for (const k of ["discovered", "loaded", "enabled", "failed"]) $("#t-" + k).textContent = t[k];
  }
  function computeTotals() {
    const t = { discovered: mods.size, loaded: 0, enabled: 0, failed: 0 };
    for (const m of mods.values()) {
      if (m.status === "running") t.loaded++;
      if (m.enabled) t.enabled++;
      if (m.status === "failed") t.failed++;
    }
    setTotals(t);
  }

  const statusText = { running: "running", failed: "failed", disabled: "disabled", stopped: "stopped", awaiting_approval: "needs approval" };

  function permChips(perms) {
    if (!perms || !perms.length) return h("span", { class: "muted" }, "none");
    return perms.map((p) => h("span", { class: "chip " + ((permWords[p] || {}).risk || ""), title: (permWords[p] || {}).description || p }, p));
  }

  // awaits: the module's files wait for approval (its first one, or a changed
  // permission list while the approved version keeps running).
  function awaits(m) { return m.status === "awaiting_approval" || Array.isArray(m.awaiting_approval); }

  function actionButtons(m) {
    const b = (label, action, cls) => h("button", { class: "btn small " + (cls || ""), type: "button", dataset: { action },
      onclick: (e) => act(m.name, action, e.currentTarget) }, label);
    const out = [];
    if (awaits(m)) out.push(h("button", { class: "btn small primary", type: "button", dataset: { action: "approve" }, onclick: () => openApprove(m.name) }, "Review & approve"));
    if (m.status === "running") out.push(b("Reload", "reload"), b("Unload", "unload"));
    if (m.status === "stopped" || m.status === "failed") out.push(b(m.status === "failed" ? "Retry load" : "Load", "load"));
    if (m.enabled && m.status !== "awaiting_approval") out.push(b("Disable", "disable", "danger"));
    if (!m.enabled && m.status !== "awaiting_approval") out.push(b("Enable", "enable", "primary"));
    if (m.config && Object.keys(m.config).length) out.push(h("button", { class: "btn small", type: "button", dataset: { action: "config" }, onclick: () => openConfig(m.name) }, "Config"));
    return out;
  }

  // shortFile shows a module's file from the scripts folder on: scripts/x.lua.
  function shortFile(f) {
    if (!f) return "–";
    const i = f.lastIndexOf("/scripts/");
    if (i >= 0) return f.slice(i + 1);
    const parts = f.split("/");
    return parts.slice(-2).join("/");
  }

  function card(m) {
    const lr = m.last_reload;
    const cmds = (m.commands || []).map((c) => h("span", { class: "chip", title: c.usage || "" }, c.name));
    return h("article", { class: "mod s-" + m.status, id: "mod-" + m.name, dataset: { module: m.name, status: m.status } },
      h("div", { class: "mod-head" },
        h("span", { class: "mod-name" }, m.name),
        h("span", { class: "status " + m.status, "data-role": "status" }, statusText[m.status] || m.status),
        h("span", { class: "mod-meta" }, [m.version && "v" + m.version, m.author && "by " + m.author].filter(Boolean).join(" · ")),
        h("div", { class: "mod-actions" }, actionButtons(m))),
      m.description ? h("p", { class: "mod-desc" }, m.description) : h("div", { class: "spacer" }),
      h("dl", { class: "facts" },
        h("div", {}, h("dt", {}, "Permissions"), h("dd", {}, permChips(m.permissions))),
        h("div", {}, h("dt", {}, "Handlers"), h("dd", {}, String(m.handlers), m.invocations ? h("span", { class: "muted" }, " · " + m.invocations + " runs") : "")),
        h("div", {}, h("dt", {}, "Commands"), h("dd", {}, cmds.length ? cmds : h("span", { class: "muted" }, "none"))),
        h("div", {}, h("dt", {}, "Errors"), h("dd", { class: m.errors ? "bad" : "" }, String(m.errors))),
        h("div", {}, h("dt", {}, "Last reload"), h("dd", { "data-role": "last-reload" }, lr
          ? [h("span", { class: lr.ok ? "ok" : "bad" }, lr.ok ? "✓ ok" : "✗ failed"), " " + ago(lr.at) + " · " + lr.duration_ms.toFixed(1) + " ms"]
          : h("span", { class: "muted" }, "never"))),
        h("div", {}, h("dt", {}, "File"), h("dd", { class: "mono", title: m.file || "" }, shortFile(m.file)))),
      m.last_error ? h("pre", { class: "error-box", "data-role": "last-error" }, m.last_error) : null,
      m.warnings && m.warnings.length ? h("pre", { class: "warn-box", "data-role": "warnings", title: "Found when the script was loaded; the module runs anyway" },
        m.warnings.map((w) => "⚠ " + (w.indexOf("/scripts/") >= 0 ? w.slice(w.indexOf("/scripts/") + 1) : w)).join("\n")) : null);
  }

  function render() {
    const root = $("#modules");
    root.replaceChildren();
    if (!mods.size) { root.append(h("p", { class: "muted" }, "No modules yet. Put a .lua file in scripts/ or install one.")); }
    for (const m of [...mods.values()].sort((a, b) => a.name.localeCompare(b.name))) root.append(card(m));
    computeTotals();
  }

  function update(m, flash) {
    mods.set(m.name, m);
    const old = document.getElementById("mod-" + m.name);
    if (!old) { render(); return; }
    const c = card(m);
    old.replaceWith(c);
    if (flash) { c.classList.add("flash"); setTimeout(() => c.classList.remove("flash"), 900); }
    computeTotals();
  }

  async function load() {
    const [res, perms] = await Promise.all([api("GET", "/api/modules"), api("GET", "/api/permissions")]);
    permWords = Object.fromEntries(perms.map((p) => [p.name, p]));
    mods.clear();
    for (const m of res.modules) mods.set(m.name, m);
    render();
    renderIgnored(res.ignored || []);
  }

  // renderIgnored lists what in scripts/ is not a module, and why ("my script.lua": the name).
  function renderIgnored(list) {
    $("#ignored").hidden = !list.length;
    $("#ignored-list").replaceChildren(...list.map((f) => h("li", { class: f.suspicious ? "bad" : "muted", dataset: { path: f.path } },
      h("code", {}, "scripts/" + f.path), " — " + f.reason)));
  }
  async function refreshIgnored() {
    try { renderIgnored((await api("GET", "/api/modules")).ignored || []); } catch (e) { /* the next event tries again */ }
  }

  async function act(name, action, btn) {
    if (btn) btn.disabled = true;
    try {
      const res = await api("POST", "/api/modules/" + encodeURIComponent(name) + "/" + action);
      update(res.module, true);
      toast(name + ": " + action + " done", "ok");
    } catch (e) {
      if (e.body && e.body.module) update(e.body.module, true);
      toast(name + ": " + action + " failed\n" + e.message, "bad");
    } finally { if (btn) btn.disabled = false; }
  }

  // ---- review and approval ----
  function permItems(list, added) {
    const items = list.map((p) => h("li", { class: added && added.includes(p.name) ? "added" : "" },
      h("span", { class: "risk " + p.risk }, p.risk), h("code", {}, p.name), h("span", { class: "grow" }, p.description),
      added && added.includes(p.name) ? h("span", { class: "new" }, "new") : null));
    return items.length ? items : [h("li", {}, "Nothing beyond reacting to events, logging and timers.")];
  }
  const levelWords = { everyone: "anyone in chat", subscriber: "subscribers and up", vip: "VIPs, moderators and you",
    moderator: "moderators and you", broadcaster: "only you (the broadcaster)" };
  // reviewBlock shows what a script is: who wrote it, what it may do, what it
  // registers (read without running anything it asks for) and its source.
  function reviewBlock(r, code, added) {
    const m = r.module;
    const cmds = (r.commands || []).map((c) => h("li", {}, h("code", {}, [c.name].concat(c.aliases || []).join(" ")),
      " — " + (levelWords[c.permission] || c.permission) + (c.description ? " · " + c.description : "")));
    const none = (x) => h("span", { class: "muted" }, x);
    return h("div", { class: "review" },
      h("div", { class: "inspect-head" }, h("h3", { "data-role": "name" }, m.name || "(no name)"),
        h("span", { class: "muted" }, [m.version && "v" + m.version, m.author && "by " + m.author].filter(Boolean).join(" · "))),
      m.description ? h("p", {}, m.description) : null,
      h("h4", {}, "It may"),
      h("ul", { class: "perm-list", "data-role": "perms" }, permItems(r.permissions || [], added)),
      h("h4", {}, "It registers"),
      h("dl", { class: "reg", "data-role": "registers" },
        h("dt", {}, "Commands"), h("dd", {}, cmds.length ? h("ul", { class: "plain" }, cmds) : none("none")),
        h("dt", {}, "Events"), h("dd", {}, (r.events || []).length ? r.events.map((e) => h("span", { class: "chip" }, e)) : none("none")),
        h("dt", {}, "Timers"), h("dd", {}, r.timers ? String(r.timers) + " (run once it is live)" : none("none")),
        h("dt", {}, "Exports"), h("dd", {}, (r.exports || []).length ? r.exports.map((e) => h("span", { class: "chip" }, e)) : none("none")),
        h("dt", {}, "Needs modules"), h("dd", {}, (m.dependencies || []).length ? m.dependencies.join(", ") : none("none"))),
      h("h4", {}, "Source"),
      h("pre", { class: "src", "data-role": "source" }, code));
  }
  let approveName = "", approveHash = "";
  async function openApprove(name) {
    approveName = name; approveHash = "";
    const m = mods.get(name) || {};
    $("#ap-name").textContent = name;
    $("#ap-why").textContent = m.status === "running"
      ? "Its file on disk now asks for other permissions. The approved version keeps running until you approve this one."
      : "It was installed from the panel. It runs once you approve what it may do.";
    showErr("#ap-error");
    $("#ap-review").replaceChildren(h("p", { class: "muted" }, "Reading the script…"));
    $("#btn-approve").disabled = true;
    $("#dlg-approve").showModal();
    try {
      const r = await api("GET", "/api/modules/" + encodeURIComponent(name) + "/review");
      approveHash = r.hash;
      $("#ap-review").replaceChildren(reviewBlock(r, r.source, r.approved_permissions ? r.added_permissions : null));
      $("#btn-approve").disabled = false;
    } catch (e) { $("#ap-review").replaceChildren(); showErr("#ap-error", e.message); }
  }
  async function approve(name, hash, btn) {
    btn.disabled = true;
    try {
      const res = await api("POST", "/api/modules/" + encodeURIComponent(name) + "/approve", { hash });
      update(res.module, true);
      toast(name + " approved and enabled", "ok");
      return true;
    } catch (e) {
      if (e.body && e.body.module) update(e.body.module, true);
      toast(name + ": approval failed\n" + e.message, "bad");
      return false;
    } finally { btn.disabled = false; }
  }
  $("#btn-approve").addEventListener("click", async (e) => { if (await approve(approveName, approveHash, e.currentTarget)) $("#dlg-approve").close(); });

  // ---- install from paste ----
  let inspected = null;
  function step(n) { for (const i of [1, 2, 3]) $("#install-step" + i).hidden = i !== n; }
  function showErr(id, msg) { const el = $(id); el.textContent = msg || ""; el.hidden = !msg; }
  $("#btn-install").addEventListener("click", () => { step(1); showErr("#install-error"); $("#dlg-install").showModal(); $("#install-code").focus(); });
  $("#btn-back").addEventListener("click", () => step(1));
  $("#btn-inspect").addEventListener("click", async (e) => {
    const btn = e.currentTarget; btn.disabled = true; showErr("#install-error");
    try {
      inspected = await api("POST", "/api/scripts/inspect", { code: $("#install-code").value });
      if (inspected.name_error) { showErr("#install-error", inspected.name_error); return; }
      $("#ins-review").replaceChildren(reviewBlock(inspected, $("#install-code").value, null));
      $("#ins-replace-row").hidden = !inspected.exists;
      $("#ins-replace").checked = false;
      showErr("#install-error2");
      step(2);
    } catch (err) { showErr("#install-error", err.message); } finally { btn.disabled = false; }
  });
  $("#btn-do-install").addEventListener("click", async (e) => {
    const btn = e.currentTarget;
    if (inspected.exists && !$("#ins-replace").checked) { showErr("#install-error2", "Tick the box to confirm replacing the existing module."); return; }
    btn.disabled = true;
    try {
      const res = await api("POST", "/api/scripts", { code: $("#install-code").value, replace: $("#ins-replace").checked });
      update(res.module, true);
      $("#ins-done").textContent = "Installed " + res.module.name + " as scripts/" + res.module.name + ".lua. It does not run until you approve it.";
      $("#ins-perms3").replaceChildren(...permItems(inspected.permissions, null));
      step(3);
    } catch (err) { showErr("#install-error2", err.message); } finally { btn.disabled = false; }
  });
  $("#btn-approve-new").addEventListener("click", async (e) => {
    if (await approve(inspected.module.name, inspected.hash, e.currentTarget)) { $("#dlg-install").close(); $("#install-code").value = ""; }
  });

  // ---- config ----
  let cfgName = "";
  function kind(v) { return Array.isArray(v) || (v && typeof v === "object") ? "table" : typeof v; }
  function openConfig(name) {
    cfgName = name;
    const m = mods.get(name);
    $("#cf-name").textContent = name;
    showErr("#cf-error");
    const over = m.config_overrides || {};
    const rows = Object.keys(m.config).sort().map((k) => {
      const def = m.config[k], cur = k in over ? over[k] : def, kd = kind(def);
      let input;
      if ((m.secrets || []).includes(k)) {
        // the engine never sends a secret: only whether one is set (masked)
        input = h("input", { type: "password", autocomplete: "off", dataset: { key: k, kind: "secret" }, value: "",
          placeholder: cur ? "set (hidden) — type to replace" : "not set" });
        return h("div", { class: "cf-row" }, h("span", { class: "k" }, k), input, h("span", { class: "d" }, "secret · never shown" + (k in over ? " · overridden" : "")));
      }
      if (kd === "boolean") input = h("input", { type: "checkbox", dataset: { key: k, kind: kd }, checked: cur === true });
      else if (kd === "number") input = h("input", { type: "number", step: "any", dataset: { key: k, kind: kd }, value: cur });
      else if (kd === "table") input = h("textarea", { class: "code", rows: 3, dataset: { key: k, kind: kd } }, JSON.stringify(cur));
      else input = h("input", { type: "text", dataset: { key: k, kind: kd }, value: cur });
      return h("div", { class: "cf-row" }, h("span", { class: "k" }, k), input,
        h("span", { class: "d" }, kd + " · default " + JSON.stringify(def) + (k in over ? " · overridden" : "")));
    });
    $("#cf-fields").replaceChildren(...rows);
    $("#dlg-config").showModal();
  }
  function readConfig() {
    const m = mods.get(cfgName), out = {};
    for (const el of $("#cf-fields").querySelectorAll("[data-key]")) {
      const k = el.dataset.key, kd = el.dataset.kind;
      let v;
      if (kd === "secret") {
        const over = m.config_overrides || {};
        if (el.value !== "") out[k] = el.value;
        else if (k in over) out[k] = over[k]; // the mask: keep the stored value
        continue;
      }
      if (kd === "boolean") v = el.checked;
      else if (kd === "number") { if (el.value.trim() === "" || isNaN(Number(el.value))) throw new Error(k + " must be a number"); v = Number(el.value); }
      else if (kd === "table") { try { v = JSON.parse(el.value); } catch (_) { throw new Error(k + " must be JSON (a list or an object)"); } }
      else v = el.value;
      if (JSON.stringify(v) !== JSON.stringify(m.config[k])) out[k] = v;
    }
    return out;
  }
  async function saveConfig(cfg, btn) {
    btn.disabled = true;
    try {
      const res = await api("PUT", "/api/modules/" + encodeURIComponent(cfgName) + "/config", { config: cfg });
      update(res.module, true);
      $("#dlg-config").close();
      toast(cfgName + ": config saved", "ok");
    } catch (e) { showErr("#cf-error", e.message); } finally { btn.disabled = false; }
  }
  $("#btn-cf-save").addEventListener("click", (e) => { try { saveConfig(readConfig(), e.currentTarget); } catch (err) { showErr("#cf-error", err.message); } });
  $("#btn-cf-reset").addEventListener("click", (e) => saveConfig({}, e.currentTarget));

  // ---- live ----
  feed("engine.module.*", (msg) => {
    if (msg.kind !== "module") return;
    if (msg.change === "engine.module.unloaded" || msg.change === "engine.module.loaded") refreshIgnored();
    if (msg.module) update(msg.module, true);
    else if (mods.delete(msg.name)) render();
    if (msg.totals) setTotals(msg.totals);
    if (msg.change === "engine.module.reload_failed" && msg.module) toast(msg.name + ": reload failed, the previous version keeps running", "bad");
  }, () => load().catch((e) => toast("Cannot load modules: " + e.message, "bad")));
  setInterval(() => { for (const el of document.querySelectorAll("[data-role=last-reload]")) { const m = mods.get(el.closest(".mod").dataset.module); if (m) update(m, false); } }, 30000);
})();
