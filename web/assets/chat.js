// /chat: the chat console. Messages are sent as a test user through
// POST /api/chat; the bot's replies arrive on the live feed (engine.chat.sent),
// and so do the errors of handlers that failed on a chat line (engine.script.error).
"use strict";
(() => {
  const { $, h, api, toast, clock, feed } = SS;
  const log = $("#chat-log");
  const mine = new Set(); // ids of events this page sent

  function add(li) {
    const hint = log.querySelector(".sys");
    if (hint && li !== hint) hint.remove();
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(li);
    while (log.children.length > 400) log.firstChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
  function userLine(ev) {
    const u = ev.data.user || {};
    const roles = ["broadcaster", "moderator", "vip", "subscriber"].filter((r) => u[r]);
    add(h("li", { class: mine.has(ev.id) ? "me" : "viewer", dataset: { id: ev.id } },
      h("div", { class: "who" }, h("b", {}, u.display_name || u.username || "?"), roles.length ? h("span", {}, roles.join(", ")) : null, h("span", {}, clock(ev.timestamp))),
      h("div", { class: "text" }, ev.data.message)));
  }
  function botLine(m) {
    add(h("li", { class: "bot", dataset: { module: m.module || "" } },
      h("div", { class: "who" }, h("b", {}, "bot"), h("span", { class: "mod-tag" }, m.module || ""), h("span", {}, clock(m.at)), m.online ? h("span", {}, "sent to Twitch") : null),
      h("div", { class: "text" }, m.text)));
  }

  // errLine shows a handler that failed on a chat line (engine.script.error):
  // without it a crashing command looks like a bot that ignores you.
  function errLine(ev) {
    add(h("li", { class: "err", dataset: { module: ev.data.module || "", event: ev.data.event_id || "" } },
      h("div", { class: "who" }, h("b", {}, "error"), h("span", { class: "mod-tag" }, ev.data.module || ""), h("span", {}, clock(ev.timestamp))),
      h("div", { class: "text" }, ev.data.error)));
  }

  async function loadHistory() {
    try {
      const msgs = await api("GET", "/api/chat");
      log.replaceChildren();
      if (!msgs.length) log.append(h("li", { class: "sys" }, "No bot messages yet. Say something, e.g. a command from the list."));
      for (const m of msgs) botLine(m);
    } catch (e) { toast("Cannot load chat: " + e.message, "bad"); }
  }
  async function loadCommands() {
    try {
      const cmds = await api("GET", "/api/commands");
      const ul = $("#cmd-list");
      ul.replaceChildren(...(cmds.length ? cmds.map((c) => h("li", {},
        h("div", {}, h("span", { class: "n", title: "Put in the message box", onclick: () => { $("#chat-message").value = c.name + " "; $("#chat-message").focus(); } }, c.name),
          h("span", { class: "muted small" }, " · " + c.module + (c.permission && c.permission !== "everyone" ? " · " + c.permission : ""))),
        c.usage || c.description ? h("div", { class: "u" }, c.usage || c.description) : null)) : [h("li", { class: "muted" }, "No running module has commands.")]));
    } catch (_) { /* shown elsewhere */ }
  }

  feed("twitch.chat.message,engine.chat.sent,engine.script.error,engine.module.*", (msg) => {
    if (msg.kind === "module") { loadCommands(); return; }
    if (msg.kind !== "event") return;
    const ev = msg.event;
    if (ev.type === "engine.chat.sent") botLine({ module: ev.data.module, text: ev.data.text, at: ev.timestamp, online: ev.data.online });
    else if (ev.type === "twitch.chat.message") userLine(ev);
    else if (ev.type === "engine.script.error" && ev.data.event_type === "twitch.chat.message") errLine(ev);
  }, () => { loadHistory(); loadCommands(); });

  for (const k of ["name", "broadcaster", "moderator", "vip", "subscriber"]) {
    const el = $("#chat-" + k), saved = localStorage.getItem("ss.chat." + k);
    if (saved !== null) { if (el.type === "checkbox") el.checked = saved === "1"; else el.value = saved; }
    el.addEventListener("change", () => localStorage.setItem("ss.chat." + k, el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value));
  }
  $("#chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#chat-message"), text = input.value.trim();
    if (!text) return;
    const body = { name: $("#chat-name").value.trim(), message: text };
    for (const k of ["broadcaster", "moderator", "vip", "subscriber"]) body[k] = $("#chat-" + k).checked;
    $("#chat-send").disabled = true;
    try {
      const res = await api("POST", "/api/chat", body);
      mine.add(res.id);
      const li = log.querySelector('[data-id="' + res.id + '"]');
      if (li) li.className = "me";
      input.value = "";
    } catch (err) { toast("Not sent: " + err.message, "bad"); } finally { $("#chat-send").disabled = false; input.focus(); }
  });
})();
