// CRM logging behaviours htmx does not cover: the OAuth popup and its hand-back, and
// opening the Log panel when the server asks. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  var CONNECTED = "sidetalk:crm-connected";

  // The widget token in hx-headers (a cookie-less iframe has nothing else): a new tab is a
  // top-level window that cannot see the iframe's partitioned cookies.
  function widgetToken() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    var name = Object.keys(headers).find(function (k) { return /token$/i.test(k) && !/csrf/i.test(k); });
    return name ? headers[name] : null;
  }

  function withToken(url) {
    var token = widgetToken();
    if (!token) return url;
    return url + (url.indexOf("?") === -1 ? "?" : "&") + "token=" + encodeURIComponent(token);
  }

  // In the popup, after the callback: tell the widget (our own origin only) and close.
  function reportConnected() {
    var crm = document.body.dataset.crmConnected;
    if (!crm) return;
    if (window.opener && !window.opener.closed) {
      window.opener.postMessage({ type: CONNECTED, crm: crm }, window.location.origin);
      window.close();
    }
  }

  function showError(message) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var box = document.createElement("div");
    box.className = "error-box";
    box.textContent = message; // text, never HTML: it may quote the CRM
    flash.replaceChildren(box);
  }

  // Connect: open the popup within the click (popup blockers allow nothing later), then
  // ask the server to start the sign-in (a POST with the widget's headers: CSRF, token)
  // and send the popup to the CRM's authorization page.
  function connect(url) {
    var popup = window.open("", "sidetalk-crm-connect", "popup=yes,width=520,height=680");
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    headers["Accept"] = "application/json";
    fetch(url, { method: "POST", headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || "The sign-in could not start.");
          return body;
        });
      })
      .then(function (body) {
        if (popup && !popup.closed) popup.location.href = body.authorize_url;
      })
      .catch(function (error) {
        if (popup && !popup.closed) popup.close();
        showError(error.message);
      });
  }

  document.addEventListener("click", function (event) {
    var connectButton = event.target.closest("[data-crm-connect]");
    if (connectButton) {
      event.preventDefault();
      connect(connectButton.dataset.crmConnect);
      return;
    }
    // Our own pages opened in a new tab (the local CRM, the manifest editor) need the
    // token; a link to another origin (a real CRM) must never receive it.
    var link = event.target.closest("a[data-with-token]");
    if (link && !link.dataset.tokenAdded && new URL(link.href, window.location.href).origin === window.location.origin) {
      link.href = withToken(link.getAttribute("href"));
      link.dataset.tokenAdded = "1";
    }
  });

  // In the widget: only a message from our own origin may say a CRM got connected.
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) return;
    var data = event.data;
    if (!data || data.type !== CONNECTED || typeof data.crm !== "string") return;
    if (window.htmx) window.htmx.trigger(document.body, CONNECTED, { crm: data.crm });
  });

  // The server fires sidetalk:open-log (HX-Trigger) after the first message of the day.
  document.addEventListener("sidetalk:open-log", function (event) {
    var url = event.detail && event.detail.url;
    if (typeof url !== "string" || url.indexOf("/widget/crm/") !== 0 || !window.htmx) return;
    window.htmx.ajax("GET", url, { target: "#thread", swap: "innerHTML" });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reportConnected);
  } else {
    reportConnected();
  }
})();
