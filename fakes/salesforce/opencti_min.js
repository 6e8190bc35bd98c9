/* A stand-in for Salesforce's Lightning opencti_min.js (/support/api/<v>/lightning/).
 *
 * Like the real library it lives in the softphone frame and talks to the Salesforce
 * page around it with postMessage: API calls go up as {opencti: name, args}; the page
 * sends listener events down as {event: "navigation" | "dial", payload}. Method names
 * and payload fields follow the Open CTI docs (conformance/salesforce/SOURCES.md, 14).
 */
window.sforce = {
  opencti: {
    SCREENPOP_TYPE: { SOBJECT: "sobject", SEARCH: "search", URL: "url" },
    _listeners: {},
    _call: function (name, args) {
      var copy = JSON.parse(JSON.stringify(args || {}));
      window.parent.postMessage({ opencti: name, args: copy }, "*");
    },
    screenPop: function (a) { this._call("screenPop", a); },
    enableClickToDial: function (a) { this._call("enableClickToDial", a); },
    setSoftphonePanelVisibility: function (a) { this._call("setSoftphonePanelVisibility", a); },
    onNavigationChange: function (a) {
      this._listeners.navigation = a.listener;
      this._call("onNavigationChange", {});
    },
    onClickToDial: function (a) {
      this._listeners.dial = a.listener;
      this._call("onClickToDial", {});
    }
  }
};
window.addEventListener("message", function (e) {
  var listener = window.sforce.opencti._listeners[e.data && e.data.event];
  if (listener) { listener(e.data.payload); }
});
