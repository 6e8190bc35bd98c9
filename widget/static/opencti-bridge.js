/* Sidetalk inside Salesforce's softphone panel (Open CTI for Lightning).
 *
 * Salesforce opens the call center's adapter URL with ?sfdcIframeOrigin=<org origin>;
 * only then, and only when that origin really is the page framing us, this loads
 * Salesforce's own opencti_min.js from it (the widget's CSP allows scripts from the
 * configured frame ancestors only) and connects:
 *  - opening a conversation pops its matched CRM record (screenPop);
 *  - onNavigationChange: the record on screen is pre-selected in the Log panel, as
 *    Name or as Related to;
 *  - click-to-dial on a phone field asks "Text or Call?": Text opens Compose with that
 *    number; Call hands the number to the host's dialer as a tel: link (Sidetalk places
 *    no calls itself, and Open CTI has no "dial" method: the softphone is the dialer).
 * Anywhere else the widget behaves as it always did: this file does nothing.
 */
(function () {
  "use strict";
  var API_VERSION = "62.0";
  var STORE_KEY = "sidetalk.sfdcIframeOrigin";

  function salesforceOrigin() {
    var origin = new URLSearchParams(window.location.search).get("sfdcIframeOrigin");
    try {
      if (origin) { window.sessionStorage.setItem(STORE_KEY, origin); }
      else { origin = window.sessionStorage.getItem(STORE_KEY); }
    } catch (e) { /* storage blocked in a third-party frame: the URL is enough */ }
    if (!origin || window.parent === window) { return null; }
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length && ancestors[0] !== origin) { return null; }
    return /^https?:\/\/[^/]+$/.test(origin) ? origin : null;
  }

  var origin = salesforceOrigin();
  if (!origin) { return; }
  var currentRecord = null;
  var poppedConversation = null;

  function api() { return window.sforce && window.sforce.opencti; }

  function sameId(a, b) {
    // Salesforce shows 15- and 18-character forms of one Id.
    if (!a || !b) { return false; }
    return a === b || (a.length >= 15 && b.length >= 15 && a.slice(0, 15) === b.slice(0, 15));
  }

  function preselect() {
    var panel = document.getElementById("log-panel");
    if (!panel || !currentRecord) { return; }
    var radios = panel.querySelectorAll("input[name='record_id']");
    for (var i = 0; i < radios.length; i++) {
      if (sameId(radios[i].value, currentRecord)) {
        if (!radios[i].checked) { radios[i].click(); }
        return;
      }
    }
    var related = panel.querySelector("select[name='field_relatedTo']");
    if (!related) { return; }
    for (var j = 0; j < related.options.length; j++) {
      if (sameId(related.options[j].value, currentRecord) && related.value !== related.options[j].value) {
        related.value = related.options[j].value;
        related.dispatchEvent(new Event("change", { bubbles: true }));
        return;
      }
    }
  }

  function requestHeaders() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}"); }
    catch (e) { return {}; }
  }

  function screenPop(conversationId) {
    var opencti = api();
    if (!opencti || poppedConversation === conversationId) { return; }
    poppedConversation = conversationId;
    var url = "/widget/salesforce/conversations/" + encodeURIComponent(conversationId) + "/records";
    fetch(url, { headers: Object.assign({ Accept: "application/json" }, requestHeaders()), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (!found || !found.records || !found.records.length) { return; }
        if (found.records.length === 1) {
          opencti.screenPop({ type: opencti.SCREENPOP_TYPE.SOBJECT, params: { recordId: found.records[0].id } });
        } else {
          opencti.screenPop({ type: opencti.SCREENPOP_TYPE.SEARCH, params: { searchString: found.phone } });
        }
      })
      .catch(function () { poppedConversation = null; });
  }

  function onNavigation(payload) {
    var value = payload && payload.returnValue ? payload.returnValue : payload;
    currentRecord = value && value.recordId ? String(value.recordId) : null;
    preselect();
  }

  function openCompose(number) {
    window.htmx.ajax("GET", "/widget/compose/?to=" + encodeURIComponent(number), {
      target: "#thread", swap: "innerHTML"
    });
  }

  function telUri(number) {
    // A tel: URI carries digits and a leading + only (RFC 3966 global number).
    var digits = String(number).replace(/[^\d+]/g, "");
    return "tel:" + (digits.charAt(0) === "+" ? "+" : "") + digits.replace(/\+/g, "");
  }

  function button(label, className) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    if (className) { element.className = className; }
    return element;
  }

  function dialChoice() {
    // One dialog, reused: built from text nodes only (the number and name come from the
    // CRM page and are never parsed as HTML).
    var dialog = document.getElementById("dial-choice");
    if (dialog) { return dialog; }
    dialog = document.createElement("dialog");
    dialog.id = "dial-choice";
    dialog.className = "dial-choice";
    dialog.setAttribute("aria-labelledby", "dial-choice-title");
    var title = document.createElement("h2");
    title.id = "dial-choice-title";
    var who = document.createElement("p");
    who.className = "muted dial-choice-who";
    var actions = document.createElement("p");
    actions.className = "dial-choice-actions";
    var text = button("Text", "primary");
    var call = document.createElement("a");
    call.className = "button";
    call.textContent = "Call";
    var cancel = button("Cancel", "link");
    actions.append(text, call, cancel);
    dialog.append(title, who, actions);
    text.addEventListener("click", function () {
      dialog.close();
      openCompose(dialog.dataset.number);
    });
    call.addEventListener("click", function () { dialog.close(); });
    cancel.addEventListener("click", function () { dialog.close(); });
    document.body.appendChild(dialog);
    return dialog;
  }

  function onClickToDial(payload) {
    if (!payload || !payload.number || !window.htmx) { return; }
    var number = String(payload.number);
    var dialog = dialChoice();
    dialog.dataset.number = number;
    dialog.querySelector("h2").textContent = "Text or call " + number + "?";
    dialog.querySelector(".dial-choice-who").textContent = payload.recordName ? String(payload.recordName) : "";
    dialog.querySelector("a").href = telUri(number);
    var opencti = api();
    if (opencti && opencti.setSoftphonePanelVisibility) { opencti.setSoftphonePanelVisibility({ visible: true }); }
    if (!dialog.open) { dialog.showModal(); }
    dialog.querySelector("button.primary").focus();
  }

  function connect() {
    var opencti = api();
    if (!opencti) { return; }
    opencti.onNavigationChange({ listener: onNavigation });
    opencti.enableClickToDial({});
    opencti.onClickToDial({ listener: onClickToDial });
  }

  var script = document.createElement("script");
  script.src = origin + "/support/api/" + API_VERSION + "/lightning/opencti_min.js";
  script.onload = connect;
  document.head.appendChild(script);

  document.addEventListener("htmx:afterSettle", function () {
    var thread = document.querySelector("article.thread[data-conversation-id]");
    if (thread) { screenPop(thread.getAttribute("data-conversation-id")); }
    preselect();
  });
})();
