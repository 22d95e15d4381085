// /connections: the Twitch and OBS connections. The state comes from
// GET /api/connections and then live from the feed ("connections" messages);
// the forms call PUT/POST/DELETE /api/connections/*.
"use strict";
(() => {
  const { $, h, api, toast, feed } = SS;
  let last = null;
  let dirty = { tw: false, obs: false }; // the user is editing: do not overwrite the fields

  const words = {
    not_configured: "not configured", offline: "offline", logging_in: "waiting for approval",
    connecting: "connecting", connected: "connected", error: "error",
  };

  function setState(el, card, state) {
    el.textContent = words[state] || state;
    el.className = "status st-" + state;
    card.dataset.state = state;
  }
  function facts(dl, rows) {
    dl.replaceChildren(...rows.filter((r) => r[1]).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  }
  function box(el, text) { el.hidden = !text; el.textContent = text || ""; }
  function safeURL(u) { return /^https?:\/\//i.test(u || "") ? u : null; }
  function fixedNote(el, fixed, names) {
    const f = (fixed || []).map((x) => names[x]).filter(Boolean);
    el.hidden = !f.length;
    el.textContent = f.length ? "Set by " + f.join(", ") + " on the command line or in the environment: read-only here." : "";
  }

  function renderTwitch(t) {
    setState($("#tw-state"), $("#twitch-card"), t.state);
    box($("#tw-error"), t.last_error);
    const miss = t.missing_scopes || [];
    const mb = $("#tw-missing");
    mb.hidden = !miss.length || t.state === "logging_in";
    mb.replaceChildren();
    if (miss.length) {
      mb.append("Re-connect to grant " + miss.map((m) => m.scope + (m.modules && m.modules.length ? " (needed by " + m.modules.join(", ") + ")" : " (needed by the events)")).join(", ") + ". ",
        h("button", { class: "btn small", type: "button", id: "tw-regrant", onclick: login }, "Re-connect"));
    }
    const lb = $("#tw-login");
    lb.hidden = t.state !== "logging_in" || !t.login;
    if (t.login) {
      $("#tw-code").textContent = t.login.user_code;
      const u = safeURL(t.login.verification_uri);
      if (u) $("#tw-open").href = u; else $("#tw-open").removeAttribute("href");
      $("#tw-expires").dataset.at = t.login.expires_at;
    }
    facts($("#tw-facts"), [
      ["Channel", t.channel], ["Bot account", t.bot],
      ["Scopes", (t.scopes || []).length ? h("span", {}, ...(t.scopes || []).map((s) => h("span", { class: "chip" }, s))) : null],
      ["Token expires", t.token_expires_at ? new Date(t.token_expires_at).toLocaleString() : null],
    ]);
    const fixed = t.fixed || [];
    if (!dirty.tw) {
      $("#tw-client-id").value = t.client_id || "";
      $("#tw-channel").value = t.channel || "";
    }
    $("#tw-client-id").disabled = fixed.includes("client_id");
    $("#tw-channel").disabled = fixed.includes("channel");
    fixedNote($("#tw-fixed"), fixed, { client_id: "--twitch-client-id", channel: "--twitch-channel", token: "--twitch-token" });
    const tokenFlag = fixed.includes("token");
    const configured = t.state !== "not_configured";
    $("#tw-login-btn").hidden = tokenFlag;
    $("#tw-login-btn").disabled = !configured;
    $("#tw-login-btn").textContent = t.state === "logging_in" ? "New code" : (t.bot ? "Re-connect" : "Log in with Twitch");
    $("#tw-logout").hidden = tokenFlag || !t.bot;
    $("#tw-save").disabled = fixed.includes("client_id") && fixed.includes("channel");
    $("#tw-guide").open = t.state === "not_configured";
  }

  function renderOBS(o) {
    setState($("#obs-state"), $("#obs-card"), o.state);
    box($("#obs-error"), o.last_error);
    facts($("#obs-facts"), [
      ["Address", o.addr], ["OBS", o.obs_version], ["obs-websocket", o.websocket_version],
      ["Password", o.has_password ? "set" : "none"],
    ]);
    const fixed = o.fixed || [];
    if (!dirty.obs) $("#obs-addr").value = o.addr || "";
    $("#obs-password").placeholder = o.has_password ? "unchanged (type to replace)" : "the WebSocket server password";
    $("#obs-addr").disabled = fixed.includes("addr");
    $("#obs-password").disabled = fixed.includes("password");
    $("#obs-connect").disabled = fixed.includes("addr");
    $("#obs-disconnect").disabled = fixed.includes("addr") || o.state === "offline";
    fixedNote($("#obs-fixed"), fixed, { addr: "--obs-addr", password: "--obs-password" });
  }

  function renderDiscord(d) {
    if (!d) {
      setState($("#discord-state"), $("#discord-card"), "not_configured");
      box($("#discord-error"), "");
      facts($("#discord-facts"), []);
      return;
    }
    setState($("#discord-state"), $("#discord-card"), d.state);
    box($("#discord-error"), d.last_error);
    facts($("#discord-facts"), [["Server", d.guild_name ? d.guild_name + " (" + d.guild + ")" : d.guild], ["Bot", d.bot]]);
  }

  function render(st) {
    last = st;
    renderTwitch(st.twitch);
    renderOBS(st.obs);
    renderDiscord(st.discord);
  }
  async function load() {
    try { render(await api("GET", "/api/connections")); } catch (e) { toast("Cannot load the connections: " + e.message, "bad"); }
  }

  async function login() {
    try {
      const code = await api("POST", "/api/connections/twitch/login");
      toast("Enter the code " + code.user_code + " on Twitch");
      await load();
    } catch (e) { toast(e.message, "bad"); }
  }

  for (const id of ["#tw-client-id", "#tw-channel"]) $(id).addEventListener("input", () => { dirty.tw = true; });
  $("#obs-addr").addEventListener("input", () => { dirty.obs = true; });

  $("#tw-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/api/connections/twitch", { client_id: $("#tw-client-id").value.trim(), channel: $("#tw-channel").value.trim() });
      dirty.tw = false;
      toast("Twitch settings saved");
      await load();
    } catch (e) { toast(e.message, "bad"); }
  });
  $("#tw-login-btn").addEventListener("click", login);
  $("#tw-logout").addEventListener("click", async () => {
    try { await api("DELETE", "/api/connections/twitch"); toast("Logged out of Twitch"); await load(); } catch (e) { toast(e.message, "bad"); }
  });
  $("#obs-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { addr: $("#obs-addr").value.trim() };
    const pw = $("#obs-password").value;
    if (pw !== "" || !(last && last.obs.has_password)) body.password = pw;
    $("#obs-connect").disabled = true;
    try {
      const st = await api("PUT", "/api/connections/obs", body);
      toast(st.state === "connected" ? "OBS connected" : "Connecting to OBS…");
    } catch (e) { toast(e.message, "bad"); }
    dirty.obs = false;
    $("#obs-password").value = "";
    await load();
  });
  $("#obs-disconnect").addEventListener("click", async () => {
    try { await api("DELETE", "/api/connections/obs"); toast("OBS disconnected"); await load(); } catch (e) { toast(e.message, "bad"); }
  });

  setInterval(() => {
    const el = $("#tw-expires");
    const at = el.dataset.at ? new Date(el.dataset.at).getTime() : 0;
    const s = Math.round((at - Date.now()) / 1000);
    el.textContent = at && s > 0 ? "expires in " + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") : "";
  }, 1000);

  feed("engine.module.*", (msg) => {
    if (msg.kind === "connections" && msg.connections) render(msg.connections);
    else if (msg.kind === "module") load(); // a module enabled may need a scope
  }, load);
})();
