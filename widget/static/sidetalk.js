// Small behaviours htmx does not cover. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

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

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-thread]");
    if (close) {
      var thread = document.getElementById("thread");
      if (thread) thread.innerHTML = "";
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

  // Errors for a request are shown in #flash; a later success clears stale ones.
  document.addEventListener("htmx:beforeRequest", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.innerHTML = "";
  });
})();
