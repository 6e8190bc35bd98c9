// Small behaviours htmx does not cover. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  // A page answering a sign-in (or hand-over) POST shows the page's own address, so that
  // a reload asks for the page, not for another sign-in. The token stays in page memory.
  if (document.body && document.body.dataset.location && window.history) {
    window.history.replaceState(null, "", document.body.dataset.location);
  }

  // A cookie-less iframe authenticates with a short-lived token in hx-headers; the server
  // sends a fresh one on every response, which replaces the old one here.
  document.addEventListener("htmx:afterRequest", function (event) {
    var body = document.body;
    var header = body.dataset.tokenRefreshHeader;
    var xhr = event.detail.xhr;
    var fresh = header && xhr && xhr.getResponseHeader(header);
    if (!fresh) return;
    var headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    var tokenHeader = Object.keys(headers).find(function (k) { return /token$/i.test(k) && !/csrf/i.test(k); });
    if (tokenHeader) {
      headers[tokenHeader] = fresh;
      body.setAttribute("hx-headers", JSON.stringify(headers));
    }
  });

  // A request whose element and target leave the page before its answer comes (the
  // thread it was in was replaced or closed) has its answer ignored. Its events would
  // fire on detached elements, which no listener of the page hears, so the answer would
  // skip the page's checks and swap its out-of-band pieces into a page that has moved
  // on: opening a thread marks it read, and deleting the thread before that answer came
  // made htmx log oobErrorNoTarget for the deleted row. The server has done the work
  // either way, and the socket's frame brings the same update. An answer whose target is
  // still on the page is swapped as usual (a Claim button replaced meanwhile by a pushed
  // frame still opens the claimed thread). Not aborted: htmx logs that as an error.
  // An element with no request in flight never hears beforeOnLoad again: nothing to do.
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    event.target.addEventListener("htmx:beforeOnLoad", function (answer) {
      var target = answer.detail.target;
      if (!target || !target.isConnected) answer.preventDefault();
    }, { once: true });
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-thread]");
    if (close) {
      var thread = document.getElementById("thread");
      // Through htmx, not innerHTML: the thread's elements are cleaned up, and the answer
      // to a request still in flight from one of them is ignored (above).
      if (thread) htmx.swap(thread, "", { swapStyle: "innerHTML" });
      document.querySelectorAll(".row.selected").forEach(function (r) { r.classList.remove("selected"); });
      return;
    }
    // A choice in the "More" menu closes it, as menus do.
    var menuItem = event.target.closest(".menu-items button");
    if (menuItem) {
      var menu = menuItem.closest("details.menu");
      if (menu) menu.removeAttribute("open");
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var box = dismiss.closest(".error-box");
      if (box) box.remove();
      return;
    }
    var row = event.target.closest(".row-main");
    if (row) {
      document.querySelectorAll(".row.selected").forEach(function (r) { r.classList.remove("selected"); });
      row.closest(".row").classList.add("selected");
    }
  });

  // 4xx answers carry their own message into #flash; a 5xx or a network failure has
  // none we can trust to show, so say so here rather than fail silently.
  function flashProblem(text) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var box = document.createElement("div");
    box.className = "error-box";
    box.textContent = text + " ";
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link";
    dismiss.setAttribute("data-dismiss", "");
    dismiss.textContent = "Dismiss";
    box.appendChild(dismiss);
    flash.replaceChildren(box);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 500) {
      flashProblem("Something went wrong on the server (" + xhr.status + "). Please try again.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    flashProblem("Sidetalk could not be reached. Check your connection and try again.");
  });

  // A thread opens at its newest message; a message arriving while the reader is at the
  // bottom keeps them there, but one arriving while they read older ones does not move them.
  var NEAR_BOTTOM = 80;
  function atBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight <= NEAR_BOTTOM;
  }
  function scrollToNewest(list) {
    list.scrollTop = list.scrollHeight;
    list.dataset.autoScrollTop = String(list.scrollTop);
  }
  // Has the reader moved away from the newest? Not if the list sits where we last put it:
  // a picture loading below grows the list without moving it, and the scroll event of our
  // own scrolling may arrive after such growth.
  function readerLeftNewest(list) {
    if (list.dataset.autoScrollTop === String(list.scrollTop)) return false;
    return !atBottom(list);
  }
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.querySelectorAll) return;
    var lists = elt.matches && elt.matches(".bubbles") ? [elt] : elt.querySelectorAll(".bubbles");
    lists.forEach(scrollToNewest);
  });
  // Pictures without stored dimensions grow after loading, in a thread just opened or in
  // a bubble just added (a sent or received picture, or its status update): keep the
  // newest in view unless the reader has scrolled up to older messages. Load events do
  // not bubble, so listen in the capture phase.
  document.addEventListener("load", function (event) {
    var img = event.target;
    if (!img || img.tagName !== "IMG" || !img.closest) return;
    var list = img.closest(".bubbles");
    if (list && list.dataset.stick !== "no") scrollToNewest(list);
  }, true);
  document.addEventListener("scroll", function (event) {
    var list = event.target;
    if (list && list.classList && list.classList.contains("bubbles")) {
      list.dataset.stick = readerLeftNewest(list) ? "no" : "yes";
    }
  }, true);
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var list = event.detail.target && event.detail.target.closest && event.detail.target.closest(".bubbles");
    if (list) list.dataset.stick = readerLeftNewest(list) ? "no" : "yes";
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    var list = target && target.closest && target.closest(".bubbles");
    if (!list && target && target.matches && target.matches(".bubbles")) list = target;
    if (list && list.dataset.stick !== "no") scrollToNewest(list);
  });

  // A panel whose answer held only out-of-band updates (Mark unread) is left with
  // whitespace, which CSS's :empty does not match: empty it, so the list shows again.
  document.addEventListener("htmx:afterSettle", function () {
    var thread = document.getElementById("thread");
    if (thread && thread.childElementCount === 0 && thread.innerHTML !== "") thread.innerHTML = "";
  });

  // A field's error is about what was sent: once the person changes the field, the
  // message no longer describes it, so it goes (the server checks again on submit).
  function clearFieldError(field) {
    if (field.getAttribute("aria-invalid") !== "true") return;
    field.setAttribute("aria-invalid", "false");
    (field.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
      var note = id && document.getElementById(id);
      if (note && note.classList.contains("field-error")) note.remove();
    });
    var next = field.nextElementSibling;
    if (next && next.classList.contains("field-error")) next.remove();
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[aria-invalid]")) clearFieldError(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[aria-invalid]")) clearFieldError(event.target);
  });

  // The list is asked for by the filters, by a restore and by real-time refreshes: three
  // elements, so htmx does not order their requests. The newest request asked for what
  // the person chose last (a tab), so an older one answering after it is dropped.
  var listRequests = 0;
  function isList(target) { return target && target.id === "list"; }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isList(event.detail.target) && event.detail.xhr) event.detail.xhr.sidetalkListAsk = ++listRequests;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (isList(event.detail.target) && xhr && xhr.sidetalkListAsk && xhr.sidetalkListAsk < listRequests) {
      event.detail.shouldSwap = false;
    }
  });

  // Errors for a request are shown in #flash; a later success clears stale ones.
  document.addEventListener("htmx:beforeRequest", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.innerHTML = "";
  });

  // A form POST of [name, value] pairs into ``target`` (a window name, "_blank", "_self"):
  // how a widget token reaches another window of ours without ever being in a URL.
  window.sidetalkPostForm = function (action, target, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = action;
    form.target = target;
    form.hidden = true;
    fields.forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
    form.remove();
  };
})();
