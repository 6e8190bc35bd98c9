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

  function csrfSecret() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    var name = Object.keys(headers).find(function (k) { return /csrf/i.test(k); });
    return name ? headers[name] : "";
  }

  // A top-level window of ours (a new tab, the sign-in popup) gets the widget's token by
  // a form POST into it: a token never goes into a URL (access logs, history, and links
  // others could craft), and a form cannot send headers.
  function postIntoWindow(action, target, fields) {
    var all = [["token", widgetToken() || ""], ["csrf_token", csrfSecret()]].concat(fields);
    window.sidetalkPostForm(action, target, all);
  }

  function openWithToken(url) {
    postIntoWindow("/auth/handoff", "_blank", [["next", url]]);
  }

  // In the popup, once the sign-in started: on to the CRM's authorization page.
  function goAuthorize() {
    var url = document.body.dataset.authorizeUrl;
    if (url && /^https?:/i.test(url)) window.location.replace(url);
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

  // Connect: open the popup within the click (popup blockers allow nothing later) and
  // post the widget's token into it, with the choices made before signing in (a Clio
  // region): the server starts the sign-in there, binds it to that window's browser (a
  // cookie the callback must bring back) and sends it on to the CRM's authorization
  // page. Errors show in the popup.
  function connect(url, choices) {
    var name = "sidetalk-crm-connect";
    window.open("", name, "popup=yes,width=520,height=680");
    postIntoWindow(url, name, Array.from(choices.entries()));
  }

  document.addEventListener("click", function (event) {
    var connectButton = event.target.closest("[data-crm-connect]");
    if (connectButton) {
      event.preventDefault();
      // Choices made before signing in (a Clio region) travel in the POST body.
      var choices = new URLSearchParams();
      var item = connectButton.closest("li") || document;
      item.querySelectorAll("[data-connect-option]").forEach(function (field) {
        choices.append(field.name, field.value);
      });
      connect(connectButton.dataset.crmConnect, choices);
      return;
    }
    // Our own pages opened in a new tab (the local CRM, the manifest editor) need the
    // token; a link to another origin (a real CRM) must never receive it.
    var link = event.target.closest("a[data-with-token]");
    if (link) {
      var address = new URL(link.href, window.location.href);
      if (address.origin === window.location.origin && widgetToken()) {
        event.preventDefault();
        openWithToken(address.pathname + address.search);
      }
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

  function onLoad() {
    goAuthorize();
    reportConnected();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onLoad);
  } else {
    onLoad();
  }
})();
