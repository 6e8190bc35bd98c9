// Live updates: the htmx ws extension applies the server's out-of-band frames; this file
// keeps the socket's URL fresh, fits frames to what this page shows, and handles the
// browser-side extras (notifications, sound, marking arrivals read). Typing is sent by
// plain htmx markup in the thread. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;
  // The ws extension retries these by itself; other unexpected closes we retry here.
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var FINAL = [CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, 1003, 1008, 1009];

  function socketElement() { return document.getElementById("realtime"); }

  function headers() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}"); }
    catch (e) { return {}; }
  }

  function tokenHeaderName(all) {
    return Object.keys(all).find(function (k) { return /token$/i.test(k) && !/csrf/i.test(k); });
  }

  // --- the socket's URL, rebuilt at every (re)connect ------------------------------------
  // The extension keeps the URL it read from ws-connect; a reconnect needs the token the
  // page holds now (tokens expire) and the positions it has seen now (to catch up).
  // The token never goes into the URL (access logs): a WebSocket cannot send headers, so
  // it rides as a second offered subprotocol beside "sidetalk", the one the server picks.
  htmx.createWebSocket = function (url) {
    var address = new URL(url, window.location.href);
    var all = headers();
    var name = tokenHeaderName(all);
    var protocols = ["sidetalk"];
    if (name && all[name]) protocols.push("sidetalk-token." + all[name]);
    var seen = Array.from(document.querySelectorAll("[data-realtime-cursor]"))
      .map(function (el) { return el.dataset.realtimeCursor; })
      .join(",");
    if (seen) address.searchParams.set("last_event_id", seen);
    var socket = new WebSocket(address.toString(), protocols);
    socket.binaryType = htmx.config.wsBinaryType;
    return socket;
  };

  // --- fitting frames to this page ------------------------------------------------------
  // A frame describes every view (list, counts, an open thread): pieces whose target this
  // page does not show are dropped, and so are rows that the list's filters would hide.
  var arrivedInOpenThread = false;

  function deletedView() {
    var form = document.getElementById("filters");
    return Boolean(form && new FormData(form).get("deleted"));
  }

  function rowFitsList(row) {
    // Frames carry live rows; the Deleted view lists only deleted ones (with Restore).
    if (deletedView()) return false;
    if (document.getElementById(row.id)) return true; // listed already: it moves up
    var form = document.getElementById("filters");
    if (!form) return true;
    var fits = true;
    new FormData(form).forEach(function (value, key) {
      if (!value) return;
      if (key === "tab") fits = fits && (value === "all" || row.dataset.channel === value);
      else if (key === "unread") fits = fits && row.classList.contains("unread");
      else fits = false; // a search or another filter: only the server knows what matches
    });
    return fits;
  }

  function oobTarget(piece) {
    var spec = piece.getAttribute("hx-swap-oob") || "true";
    var colon = spec.indexOf(":");
    try {
      return document.querySelector(colon > 0 ? spec.slice(colon + 1) : "#" + CSS.escape(piece.id));
    } catch (e) { return null; }
  }

  function keep(piece) {
    var spec = piece.getAttribute("hx-swap-oob") || "true";
    var colon = spec.indexOf(":");
    var style = colon > 0 ? spec.slice(0, colon) : spec;
    var target = oobTarget(piece);
    if (!target) return false;
    if (piece.classList.contains("row") && deletedView()) return false; // a live row
    if (["true", "outerHTML", "innerHTML", "delete"].indexOf(style) >= 0) return true;
    if (target.id === "rows" && !Array.from(piece.children).every(rowFitsList)) return false;
    if (target.classList.contains("bubbles") && piece.querySelector(".bubble.inbound")) {
      arrivedInOpenThread = true;
    }
    return true;
  }

  // A whole-element piece (replace or delete) whose element a later piece of the same
  // answer also replaces or deletes has no effect but one: once the first has deleted the
  // element, the later one finds no target and htmx logs oobErrorNoTarget. Keep the last.
  function wholeElementTarget(piece) {
    var spec = piece.getAttribute("hx-swap-oob") || "true";
    var colon = spec.indexOf(":");
    var style = colon > 0 ? spec.slice(0, colon) : spec;
    if (["true", "outerHTML", "delete"].indexOf(style) < 0) return null;
    return colon > 0 ? spec.slice(colon + 1) : "#" + piece.id;
  }

  function dropSuperseded(pieces) {
    var lastIndex = {};
    pieces.forEach(function (piece, i) {
      var key = wholeElementTarget(piece);
      if (key) lastIndex[key] = i;
    });
    return pieces.filter(function (piece, i) {
      var key = wholeElementTarget(piece);
      return !key || lastIndex[key] === i;
    });
  }

  htmx.defineExtension("sidetalk-frames", {
    transformResponse: function (text, xhr) {
      if (xhr) return text; // ordinary responses: only websocket frames come without one
      var template = document.createElement("template");
      template.innerHTML = text;
      var pieces = Array.from(template.content.children);
      var kept = dropSuperseded(pieces);
      pieces.forEach(function (piece) {
        if (kept.indexOf(piece) < 0 || !keep(piece)) piece.remove();
      });
      return template.innerHTML;
    }
  });

  // An ordinary response races the socket: a frame may have removed the row or bubble the
  // response updates out of band (a delete, a read) before it arrives. Such a piece has
  // nothing left to do on this page; swapping it would make htmx log oobErrorNoTarget.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var text = event.detail.serverResponse;
    if (typeof text !== "string" || text.indexOf("hx-swap-oob") < 0 || /<(html|body)[\s>]/i.test(text)) return;
    var template = document.createElement("template");
    template.innerHTML = text;
    var oob = Array.from(template.content.children).filter(function (piece) {
      return piece.hasAttribute("hx-swap-oob");
    });
    var kept = dropSuperseded(oob);
    var gone = oob.filter(function (piece) { return kept.indexOf(piece) < 0 || !oobTarget(piece); });
    if (!gone.length) return;
    gone.forEach(function (piece) { piece.remove(); });
    event.detail.serverResponse = template.innerHTML;
  });

  // A frame's row is rendered once for every watcher, so it carries the newest message as
  // its preview. A row listed by a search shows the words it was found by instead: the
  // update keeps that line (the conversation still matches), and takes everything else.
  function keepSearchMatch(old, row) {
    var match = old.classList.contains("row") && old.querySelector(".preview.match");
    var preview = match && row.querySelector(".preview");
    if (preview && !preview.classList.contains("match")) preview.replaceWith(match.cloneNode(true));
  }

  // Ids are unique: an element inserted out of band replaces any element with its id.
  // That moves a conversation row to the top, and keeps a bubble single when both the
  // reply's response and the websocket bring it, in either order.
  // A bubble's read receipts only grow, and the renders of one bubble race each other (the
  // sender's own answer, their frame, the receipt's frame): one listing fewer readers than
  // the bubble shown is older, and the shown one stays.
  function olderBubble(el, old) {
    var readBy = el.getAttribute("data-read-by");
    var shown = old.getAttribute("data-read-by");
    return readBy !== null && shown !== null && Number(readBy) < Number(shown);
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    Array.from(event.detail.fragment.children || []).forEach(function (el) {
      var old = el.id && document.getElementById(el.id);
      if (old && olderBubble(el, old)) {
        if (old === target) event.detail.shouldSwap = false;
        else el.remove();
        return;
      }
      if (old) keepSearchMatch(old, el);
      if (old && old !== target) old.remove();
    });
    var placeholder = target.id === "rows" && target.querySelector(":scope > .empty");
    if (placeholder && event.detail.fragment.children.length) placeholder.remove();
  });

  // --- after each frame: notices, fresh tokens, reload requests, read marks -------------
  var last = { notice: "", token: "", refresh: "" };

  function changed(id, key, attribute) {
    var el = document.getElementById(id);
    var value = el && el.getAttribute(attribute);
    if (!value || value === last[key]) return null;
    last[key] = value;
    return el;
  }

  function markSeenIfVisible() {
    if (!arrivedInOpenThread || document.visibilityState !== "visible") return;
    arrivedInOpenThread = false;
    var seen = document.querySelector("#thread .thread-seen");
    if (seen) htmx.trigger(seen, "sidetalk:seen");
  }

  document.addEventListener("htmx:wsAfterMessage", function () {
    var token = changed("realtime-token", "token", "data-token");
    if (token) {
      var all = headers();
      var name = tokenHeaderName(all);
      if (name) {
        all[name] = token.dataset.token;
        document.body.setAttribute("hx-headers", JSON.stringify(all));
      }
    }
    if (changed("realtime-refresh", "refresh", "data-refresh-id")) {
      htmx.trigger(document.body, "sidetalk:refresh");
    }
    var notice = changed("realtime-notice", "notice", "data-notice-id");
    if (notice) announce(notice.dataset);
    markSeenIfVisible();
  });

  document.addEventListener("visibilitychange", markSeenIfVisible);

  // --- connection state -----------------------------------------------------------------
  function showState(state, text) {
    var el = socketElement();
    if (!el) return;
    el.dataset.state = state;
    var status = document.getElementById("realtime-status");
    if (status) status.textContent = text;
  }

  document.addEventListener("htmx:wsConnecting", function () { showState("connecting", "Connecting…"); });
  document.addEventListener("htmx:wsOpen", function () { showState("live", "Live"); });
  document.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event.code;
    if (code === CLOSE_UNAUTHENTICATED) {
      showState("offline", "Signed out: reload to sign in again");
    } else if (FINAL.indexOf(code) >= 0) {
      showState("offline", "Live updates stopped (" + code + "): reload");
    } else {
      showState("connecting", "Reconnecting…");
      if (RETRIED_BY_EXTENSION.indexOf(code) < 0 && socketElement()) {
        var wrapper = event.detail.socketWrapper;
        window.setTimeout(function () { wrapper.reconnect(); }, 1000 + Math.random() * 2000);
      }
    }
  });

  // --- notifications and sound ----------------------------------------------------------
  var SOUND_KEY = "sidetalk-sound";
  var audio = null;

  function remember(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* storage blocked in some iframes */ }
  }

  function recall(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function soundToggle() { return document.getElementById("realtime-sound"); }

  function beep() {
    // A short two-tone chime synthesised here: no audio file to fetch or to allow in the CSP.
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    var start = audio.currentTime;
    [880, 660].forEach(function (frequency, i) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      var at = start + i * 0.12;
      tone.type = "sine";
      tone.frequency.setValueAtTime(frequency, at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.11);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.12);
    });
  }

  function announce(data) {
    var toggle = soundToggle();
    if (toggle && toggle.checked) beep();
    if (document.visibilityState !== "hidden" || !("Notification" in window)) return;
    if (Notification.permission !== "granted") return;
    var note = new Notification(data.title, { body: data.body, tag: "sidetalk-" + data.url });
    note.onclick = function () {
      window.focus();
      htmx.ajax("GET", data.url, { target: "#thread", swap: "innerHTML" });
      note.close();
    };
  }

  function showNotifyButton() {
    var button = document.getElementById("realtime-notify");
    if (!button) return;
    button.hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  document.addEventListener("change", function (event) {
    if (event.target !== soundToggle()) return;
    remember(SOUND_KEY, event.target.checked ? "on" : "off");
    if (event.target.checked) beep(); // a user gesture: lets the audio context start
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest("#realtime-notify")) return;
    Notification.requestPermission().then(showNotifyButton);
  });

  function setUp() {
    var toggle = soundToggle();
    if (toggle) toggle.checked = recall(SOUND_KEY) === "on";
    showNotifyButton();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
