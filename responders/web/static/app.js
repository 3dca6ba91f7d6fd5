// brandbot care desk: keyboard work, live refresh, and the reply editor.
// Served from /static (the CSP allows no inline script). Text from posts is only ever put in
// the page with textContent or by swapping in server-rendered (escaped) HTML.
(function () {
  "use strict";

  var POLL_MS = 5000;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var page = document.body.getAttribute("data-page");

  function $(id) { return document.getElementById(id); }

  function typing(event) {
    var t = event.target;
    if (!t || !t.tagName) return false;
    // a ticked box (a row's tick, the Menu button) takes no letters: the keys still work
    if (t.tagName === "INPUT" && t.type === "checkbox") return false;
    return t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" ||
      t.tagName === "SELECT";
  }

  function plainKey(event) {
    return !(event.ctrlKey || event.metaKey || event.altKey);
  }

  function api(method, url, body) {
    var options = {
      method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.redirected || response.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
        return { status: 401, ok: false, data: {} };
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data || {} };
      });
    });
  }

  var toastTimer = null;
  function toast(text, bad) {
    var el = $("toast");
    if (!el) return;
    clearInterval(undoTimer);  // a newer message ends an offer to undo
    undoNow = null;
    el.textContent = text;
    el.className = bad ? "toast bad" : "toast";
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, bad ? 7000 : 3000);
  }

  // --- undo an approval, keep unsent edits --------------------------------------------------

  // What `z` takes back now: the Undo of the last approval, while its window lasts.
  var undoNow = null;
  var undoTimer = null;

  // A toast with an Undo button for `seconds` (the server's window; it refuses a late one).
  function offerUndo(text, seconds, run) {
    var el = $("toast");
    if (!el) return;
    clearTimeout(toastTimer);
    clearInterval(undoTimer);
    el.textContent = "";
    el.className = "toast toast-undo";
    var message = document.createElement("span");
    message.textContent = text + " ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small";
    button.id = "toast-undo";
    button.textContent = "Undo (z)";
    var left = document.createElement("span");
    left.className = "muted small";
    el.appendChild(message);
    el.appendChild(button);
    el.appendChild(left);
    el.hidden = false;
    var ends = Date.now() + seconds * 1000;
    function done() {
      clearInterval(undoTimer);
      undoNow = null;
      el.hidden = true;
    }
    function tick() {
      var remaining = Math.ceil((ends - Date.now()) / 1000);
      if (remaining <= 0) { done(); return; }
      left.textContent = " " + remaining + " s";
    }
    undoNow = function () { done(); run(); };
    button.addEventListener("click", function () { if (undoNow) undoNow(); });
    tick();
    undoTimer = setInterval(tick, 250);
  }

  // Undo forms the server rendered (after an approval, and on an approved draft's page):
  // count their seconds down and hide them when the window is over.
  function initUndo() {
    var forms = Array.prototype.slice.call(document.querySelectorAll("form.undo-form[data-seconds]"));
    forms.forEach(function (form) {
      var ends = Date.now() + (parseInt(form.getAttribute("data-seconds"), 10) || 0) * 1000;
      var timer = null;
      function tick() {
        var remaining = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
        form.querySelectorAll(".undo-seconds").forEach(function (el) { el.textContent = String(remaining); });
        if (remaining > 0) return;
        clearInterval(timer);
        form.hidden = true;
        var bar = form.closest(".undo-bar");
        if (bar && !bar.querySelector(".undo-note")) bar.hidden = true;
      }
      tick();
      timer = setInterval(tick, 250);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "z" || typing(event) || !plainKey(event)) return;
      if (undoNow) { event.preventDefault(); undoNow(); return; }
      var form = forms.filter(function (f) { return !f.hidden; })[0];
      if (form) { event.preventDefault(); form.requestSubmit(); }
    });
  }

  // Unsent edits survive moving between drafts (j/k, links, a reload): each is kept in this
  // browser per user and draft until it is approved, reset, or the user signs out.
  var KEPT = "brandbot.edit.";
  var KEPT_DAYS = 7;
  function keptKey(id) {
    var who = $("current-user");
    return KEPT + (who ? who.textContent : "") + "." + id;
  }
  function keptEdit(id) {
    try {
      var kept = JSON.parse(localStorage.getItem(keptKey(id)) || "null");
      return kept && typeof kept.text === "string" ? kept : null;
    } catch (e) { return null; }
  }
  function keepEdit(id, text, base) {
    try {
      if (text === base) localStorage.removeItem(keptKey(id));
      else localStorage.setItem(keptKey(id), JSON.stringify({ text: text, base: base, at: Date.now() }));
    } catch (e) { /* storage full or off: nothing kept */ }
  }
  function dropEdit(id) {
    try { localStorage.removeItem(keptKey(id)); } catch (e) { /* nothing kept */ }
  }
  function forgetEdits(all) {
    try {
      var old = Date.now() - KEPT_DAYS * 86400000;
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (!key || key.indexOf(KEPT) !== 0) continue;
        var kept = null;
        try { kept = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { kept = null; }
        if (all || !kept || !(kept.at > old)) localStorage.removeItem(key);
      }
    } catch (e) { /* storage off */ }
  }
  function markKept(r) {
    if (!keptEdit(r.getAttribute("data-id"))) return;
    r.classList.add("kept-edit");
    var state = r.querySelector(".row-state");
    if (state && !state.textContent) state.textContent = "✎ your unsent edit";
  }

  function keepEdits() {
    var reply = $("reply");
    var info = $("draft-meta");
    if (!reply || !info) return;
    var id = info.getAttribute("data-id");
    var base = reply.defaultValue;
    if (info.getAttribute("data-pending") !== "yes" || reply.readOnly) {
      dropEdit(id);  // decided (or not ours to edit): nothing to send any more
      return;
    }
    var kept = keptEdit(id);
    if (kept && kept.base === base && kept.text !== reply.value) {
      reply.value = kept.text;
      reply.dispatchEvent(new Event("input"));
      if (document.activeElement === reply) reply.setSelectionRange(reply.value.length, reply.value.length);
      var note = $("kept-edit");
      if (note) note.hidden = false;
    } else if (kept && kept.base !== base) {
      dropEdit(id);  // the draft changed under it
    }
    reply.addEventListener("input", function () { keepEdit(id, reply.value, base); });
    var reset = $("reset-text");
    if (reset) reset.addEventListener("click", function () {
      dropEdit(id);
      var note = $("kept-edit");
      if (note) note.hidden = true;
    });
    var form = $("approve-form");
    if (form) form.addEventListener("submit", function () { dropEdit(id); });
  }

  function lockOnSubmit() {
    // One click, one request: a second submit of the same form is swallowed.
    document.querySelectorAll("form[data-lock]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
        form.setAttribute("data-sent", "yes");
      });
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function setPending(count) {
    var badge = $("pending-count");
    if (badge) badge.textContent = count > 0 ? count.toLocaleString("en") : "";
  }

  // --- the queue ------------------------------------------------------------------------

  function initQueue() {
    var current = 0;
    var rejecting = null;
    var marks = null;
    var refreshing = false;

    function rows() {
      return Array.prototype.slice.call(document.querySelectorAll("#queue-rows tr[data-id]"));
    }
    function ticked() {
      return document.querySelectorAll('#queue-rows input[name="ids"]:checked').length;
    }
    function select(index, scroll) {
      var all = rows();
      if (!all.length) return;
      current = Math.max(0, Math.min(index, all.length - 1));
      all.forEach(function (row, i) {
        row.classList.toggle("current", i === current);
        row.setAttribute("aria-selected", i === current ? "true" : "false");
      });
      if (scroll) all[current].scrollIntoView({ block: "nearest" });
    }
    function row() { return rows()[current] || null; }
    function nextOpen() {
      var all = rows();
      for (var i = current + 1; i < all.length; i++) {
        if (!all[i].classList.contains("done")) { select(i, true); return; }
      }
    }
    function mark(r, text, bad) {
      var state = r.querySelector(".row-state");
      if (state) { state.textContent = text; state.classList.toggle("bad", !!bad); }
      if (!bad) {
        r.classList.add("done");
        var box = r.querySelector('input[name="ids"]');
        if (box) { box.checked = false; box.disabled = true; }
      }
    }
    function canDecide() {
      var body = $("queue-rows");
      return body && body.getAttribute("data-can-decide") === "yes";
    }

    function approveRow(r) {
      if (!r || r.classList.contains("done")) return;
      if (!canDecide()) { toast("Deciding needs the approver role.", true); return; }
      var id = r.getAttribute("data-id");
      if (keptEdit(id)) {  // approve what the person wrote, not the text they replaced
        window.location.assign(r.getAttribute("data-href") + "#edit");
        return;
      }
      api("POST", "/api/drafts/" + id + "/approve").then(function (res) {
        if (res.ok) { mark(r, "Approved"); approved(r, id, res.data); nextOpen(); }
        else {
          // 409: someone else decided it first, so it is done either way.
          mark(r, res.data.error || "Refused (" + res.status + ")", res.status !== 409);
          toast(res.data.error || "Refused (" + res.status + ")", true);
        }
      });
    }

    function approved(r, id, data) {
      var text = "Draft #" + id + " approved." + (data.not_posted ? " It " + data.not_posted + "." : "");
      if (!data.undo_seconds) { toast(text, !!data.not_posted); return; }
      offerUndo(text, data.undo_seconds, function () {
        api("POST", "/api/drafts/" + id + "/undo").then(function (res) {
          if (!res.ok) { toast(res.data.error || "Not undone (" + res.status + ")", true); return; }
          r.classList.remove("done");
          var box = r.querySelector('input[name="ids"]');
          if (box) box.disabled = false;
          var state = r.querySelector(".row-state");
          if (state) state.textContent = "Back in the queue";
          select(rows().indexOf(r), true);
          updateTicked();
          toast("Approval of draft #" + id + " undone: it is back in the queue.");
        });
      });
    }

    function openReject(r) {
      if (!r || r.classList.contains("done")) return;
      if (!canDecide()) { toast("Deciding needs the approver role.", true); return; }
      rejecting = r;
      $("reject-id").textContent = "#" + r.getAttribute("data-id");
      $("reject-bar").hidden = false;
      $("reject-reason").value = "";
      $("reject-reason").focus();
    }
    function closeReject() {
      rejecting = null;
      $("reject-bar").hidden = true;
    }

    $("reject-bar").addEventListener("submit", function (event) {
      event.preventDefault();
      var r = rejecting;
      var reason = $("reject-reason").value.trim();
      if (!r || !reason) return;
      var id = r.getAttribute("data-id");
      closeReject();
      api("POST", "/api/drafts/" + id + "/reject", { reason: reason }).then(function (res) {
        if (res.ok) { mark(r, "Rejected"); toast("Draft #" + id + " rejected."); nextOpen(); }
        else {
          mark(r, res.data.error || "Refused (" + res.status + ")", res.status !== 409);
          toast(res.data.error || "Refused (" + res.status + ")", true);
        }
      });
    });
    $("reject-cancel").addEventListener("click", closeReject);
    $("reject-reason").addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); closeReject(); }
    });

    function updateTicked() {
      var n = ticked();
      var label = $("selected-count");
      if (label) label.textContent = n ? n + " ticked" : "None ticked";
      var all = document.querySelectorAll('#queue-rows input[name="ids"]:not(:disabled)');
      var box = $("select-all");
      if (box) box.checked = n > 0 && n === all.length;
      ["bulk-approve", "bulk-reject"].forEach(function (id) {
        var b = $(id);
        if (b) b.disabled = n === 0;
      });
    }
    var selectAll = $("select-all");
    if (selectAll) {
      selectAll.addEventListener("change", function () {
        document.querySelectorAll('#queue-rows input[name="ids"]:not(:disabled)').forEach(
          function (box) { box.checked = selectAll.checked; });
        updateTicked();
      });
    }
    $("bulk").addEventListener("change", function (event) {
      if (event.target && event.target.name === "ids") updateTicked();
    });
    $("bulk").addEventListener("submit", function (event) {
      var action = event.submitter ? event.submitter.value : "";
      var kept = rows().filter(function (r) {
        var box = r.querySelector('input[name="ids"]');
        return box && box.checked && keptEdit(r.getAttribute("data-id"));
      });
      if (action === "approve" && kept.length && !window.confirm(
          kept.length + " ticked " + (kept.length === 1 ? "draft has" : "drafts have") +
          " your unsent edit. Approve the text as it stands, without the edit?")) {
        event.preventDefault();
        return;
      }
      if (action === "reject" && !$("bulk-reason").value.trim()) {
        event.preventDefault();
        toast("Give a reason for rejecting the ticked drafts.", true);
        $("bulk-reason").focus();
      }
    });

    function bindRows() {
      rows().forEach(function (r, i) {
        r.addEventListener("click", function (event) {
          if (event.target.closest("a, input, button")) return;
          select(i, false);
        });
        r.addEventListener("dblclick", function (event) {
          if (event.target.closest("a, input, button")) return;
          window.location.assign(r.getAttribute("data-href"));
        });
        // the card's own buttons (narrow windows): the same as the a and r keys on this row
        r.querySelectorAll("button[data-act]").forEach(function (button) {
          button.addEventListener("click", function () {
            select(i, false);
            if (button.getAttribute("data-act") === "approve") approveRow(r);
            else openReject(r);
          });
        });
      });
      rows().forEach(markKept);
      updateTicked();
    }

    document.addEventListener("keydown", function (event) {
      if (typing(event) || !plainKey(event)) return;
      var r = row();
      switch (event.key) {
        case "j": select(current + 1, true); break;
        case "k": select(current - 1, true); break;
        case "o": case "Enter": if (r) window.location.assign(r.getAttribute("data-href")); break;
        case "x":
          if (r) {
            var box = r.querySelector('input[name="ids"]');
            if (box && !box.disabled) { box.checked = !box.checked; updateTicked(); }
          }
          break;
        case "a": approveRow(r); break;
        case "e": if (r) window.location.assign(r.getAttribute("data-href") + "#edit"); break;
        case "r": openReject(r); break;
        case "/": $("search").focus(); break;
        case "?": $("help").hidden = !$("help").hidden; break;
        case "n": { var n = document.querySelector('#pager a[rel="next"]'); if (n) n.click(); break; }
        case "p": { var p = document.querySelector('#pager a[rel="prev"]'); if (p) p.click(); break; }
        case "Escape": $("help").hidden = true; break;
        default: return;
      }
      event.preventDefault();
    });

    // Live: when drafts arrive or are decided, fetch this same view again and swap in its rows,
    // unless the user is in the middle of something (ticks, a reject reason, typing a search).
    function busy() {
      var active = document.activeElement;
      return ticked() > 0 || rejecting !== null ||
        (active && active !== document.body && typing({ target: active }));
    }
    function refresh() {
      if (refreshing) return;
      refreshing = true;
      var keep = row() ? row().getAttribute("data-id") : null;
      fetch(location.href, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok || response.redirected) throw new Error("refresh failed");
        return response.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["queue-rows", "queue-summary", "pager"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = $(id);
          if (fresh && old) old.replaceWith(document.importNode(fresh, true));
        });
        var body = $("queue-rows");
        marks = { newest: body.getAttribute("data-newest"), event: body.getAttribute("data-event") };
        bindRows();
        var all = rows();
        var index = 0;
        all.forEach(function (r, i) { if (r.getAttribute("data-id") === keep) index = i; });
        select(Math.min(keep ? index : current, all.length - 1), false);
        $("live-status").classList.remove("stale");
        $("live-status").textContent = "● live";
      }).catch(function () { /* try again at the next poll */ }).then(function () {
        refreshing = false;
      });
    }
    function poll() {
      api("GET", "/api/queue").then(function (res) {
        if (!res.ok) return;
        setPending(res.data.pending);
        if (!marks) return;
        var changed = String(res.data.newest_draft) !== marks.newest ||
          String(res.data.last_event) !== marks.event;
        if (!changed) return;
        if (busy()) {
          var live = $("live-status");
          live.classList.add("stale");
          live.textContent = "● queue changed: click to refresh";
        } else {
          refresh();
        }
      }).catch(function () {});
    }
    $("live-status").addEventListener("click", refresh);

    var body = $("queue-rows");
    marks = { newest: body.getAttribute("data-newest"), event: body.getAttribute("data-event") };
    bindRows();
    select(0, false);
    poll();
    setInterval(poll, POLL_MS);
  }

  // --- one draft ------------------------------------------------------------------------

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function initDraft() {
    var reply = $("reply");
    var info = $("draft-meta");
    var id = info.getAttribute("data-id");
    var pending = info.getAttribute("data-pending") === "yes";
    var limit = parseInt(reply.getAttribute("data-limit"), 10) || 0;
    var platform = reply.getAttribute("data-platform");
    var banned = JSON.parse(reply.getAttribute("data-banned") || "[]").map(function (phrase) {
      return { phrase: phrase,
        pattern: new RegExp("(?<![\\p{L}\\p{N}_])" + escapeRegExp(phrase) + "(?![\\p{L}\\p{N}_])", "iu") };
    });
    var approveButton = $("approve-button");
    var original = reply.defaultValue;

    // X counts as twitter-text v3 does (responders/reply_length.py): a link 23, an emoji
    // sequence 2, a code point 1 in the light ranges (Latin, Greek, Cyrillic, ... and general
    // punctuation) and 2 elsewhere (CJK). The server's count decides on approval.
    var LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
    var LINK = /https?:\/\/[^\s]+/giu;
    var EMOJI = /\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*|\p{Regional_Indicator}{2}/gu;
    function measure(text) {
      if (platform !== "x") return Array.from(text).length;
      var rest = text.normalize("NFC");
      var weight = 0;
      rest = rest.replace(LINK, function () { weight += 23; return ""; });
      rest = rest.replace(EMOJI, function () { weight += 2; return ""; });
      Array.from(rest).forEach(function (ch) {
        var code = ch.codePointAt(0);
        weight += LIGHT.some(function (r) { return code >= r[0] && code <= r[1]; }) ? 1 : 2;
      });
      return weight;
    }

    // The same rules as the server's Voice.check, so the warning shows while typing; the
    // server checks again on approval.
    function problems(text) {
      var found = [];
      var length = measure(text);
      if (!text.trim()) found.push("empty: a reply needs some text");
      if (limit && length > limit) {
        found.push("too_long: " + length + " characters, " + platform + " allows " + limit);
      }
      banned.forEach(function (b) {
        if (b.pattern.test(text)) found.push("banned_phrase: '" + b.phrase + "'");
      });
      return found;
    }
    function update() {
      var text = reply.value;
      var length = measure(text);
      var count = $("count");
      count.textContent = limit ? length + " / " + limit : String(length);
      count.classList.toggle("over", limit > 0 && length > limit);
      if (!pending) return;
      var list = $("warnings");
      list.textContent = "";
      var found = problems(text);
      found.forEach(function (problem) {
        var li = document.createElement("li");
        li.textContent = problem;
        list.appendChild(li);
      });
      // another wording the composer offered is not an edit
      var edited = text !== original && wordings.indexOf(text) < 0;
      $("reset-text").hidden = !edited;
      if (approveButton) {
        approveButton.disabled = found.length > 0;
        approveButton.firstChild.textContent = approveButton.hasAttribute("data-by-hand")
          ? (edited ? "Save edit & mark answered " : "Mark answered by hand ")
          : (edited ? "Save edit & approve " : "Approve ");
      }
    }
    var candidates = Array.prototype.slice.call(document.querySelectorAll("#candidates .candidate"));
    var wordings = candidates.map(function (b) { return b.getAttribute("data-text"); });
    function pick(index) {
      var button = candidates[index];
      if (!button || reply.readOnly) return;
      reply.value = button.getAttribute("data-text");
      candidates.forEach(function (b) {
        b.classList.toggle("chosen", b === button);
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      update();
    }
    candidates.forEach(function (button, index) {
      button.addEventListener("click", function () { pick(index); });
    });
    reply.addEventListener("input", update);
    $("reset-text").addEventListener("click", function () {
      reply.value = original;
      update();
      reply.focus();
    });
    reply.addEventListener("keydown", function (event) {
      if (event.key === "Escape") reply.blur();
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && approveButton &&
          !approveButton.disabled) {
        event.preventDefault();
        $("approve-form").requestSubmit();
      }
    });
    // a reply by hand: copy the text to post it on the platform
    function copyReply() {
      var done = function () { toast("Reply copied: paste it on the post"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(reply.value).then(done, function () {
          toast("Could not copy: select the text and copy it", true);
        });
      } else {
        reply.select();
        document.execCommand("copy");
        done();
      }
    }
    var copyButton = $("copy-reply");
    if (copyButton) copyButton.addEventListener("click", copyReply);
    var reason = $("reason");
    if (reason) {
      reason.addEventListener("keydown", function (event) {
        if (event.key === "Escape") reason.blur();
      });
    }
    update();

    function editNow() {
      if (reply.readOnly) return;
      reply.focus();
      reply.setSelectionRange(reply.value.length, reply.value.length);
    }
    if (location.hash === "#edit") editNow();
    if (location.hash === "#reject" && reason) reason.focus();

    document.addEventListener("keydown", function (event) {
      if (typing(event) || !plainKey(event)) return;
      var link;
      switch (event.key) {
        case "a":
          if (approveButton && !approveButton.disabled) $("approve-form").requestSubmit();
          break;
        case "e": editNow(); break;
        case "c": if (copyButton) copyReply(); break;
        case "1": case "2": case "3":
          if (!candidates.length) return;
          pick(parseInt(event.key, 10) - 1);
          break;
        case "r": if (reason) reason.focus(); break;
        case "j": link = $("next-draft"); if (link) link.click(); break;
        case "k": link = $("prev-draft"); if (link) link.click(); break;
        case "u": case "Escape": $("back-to-queue").click(); break;
        default: return;
      }
      event.preventDefault();
    });

    // Presence and collisions: say who else has this draft open, and stop work on a draft
    // someone else just decided.
    function showDecided(state) {
      var box = $("decided");
      var text = "This draft was just " + state.status + (state.decided_by ? " by " + state.decided_by : "") +
        (state.decided_at ? " at " + state.decided_at.replace("T", " ").slice(0, 16) + " UTC" : "") +
        ". Nothing here can change it now.";
      box.textContent = text;
      box.hidden = false;
      $("draft-status").textContent = state.status;
      document.querySelectorAll("form[data-lock] button, form[data-lock] input, form[data-lock] select").forEach(
        function (el) { if (el.type !== "hidden") el.disabled = true; });
      reply.readOnly = true;
      pending = false;
    }
    function poll() {
      api("POST", "/api/drafts/" + id + "/viewing").then(function (res) {
        if (!res.ok) return;
        var viewers = res.data.viewers || [];
        $("viewers").hidden = viewers.length === 0;
        $("viewer-names").textContent = viewers.join(", ");
        if (pending && res.data.status !== "pending") showDecided(res.data);
      }).catch(function () {});
      api("GET", "/api/queue").then(function (res) { if (res.ok) setPending(res.data.pending); });
    }
    setInterval(poll, POLL_MS);
    api("GET", "/api/queue").then(function (res) { if (res.ok) setPending(res.data.pending); });
  }

  function initOther() {
    function poll() {
      api("GET", "/api/queue").then(function (res) { if (res.ok) setPending(res.data.pending); })
        .catch(function () {});
    }
    poll();
    setInterval(poll, POLL_MS * 3);
  }

  lockOnSubmit();
  forgetEdits(false);
  document.querySelectorAll('form[action="/logout"]').forEach(function (form) {
    form.addEventListener("submit", function () { forgetEdits(true); });
  });
  initUndo();
  if (page === "queue") initQueue();
  else if (page === "draft") { initDraft(); keepEdits(); }
  else if (page !== "login" && page !== "error") initOther();
  else if (page === "error" && csrf) initOther();
})();
