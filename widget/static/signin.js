// OAuth sign-in inside a CRM iframe: RingCentral's pages refuse to be framed, so when the
// widget is framed the sign-in runs in a popup, which hands the result back with
// postMessage to Sidetalk's own origin only (never "*").
(function () {
  "use strict";
  var done = document.getElementById("popup-done");
  if (done) {
    var origin = done.getAttribute("data-origin");
    if (window.opener && origin === window.location.origin) {
      window.opener.postMessage({
        type: "sidetalk:signed-in",
        next: done.getAttribute("data-next"),
        token: done.getAttribute("data-token"),
        csrf: done.getAttribute("data-csrf")
      }, origin);
      window.close();
    } else {
      // No opener: this window is signed in by its own (first-party) session.
      window.location.replace(done.getAttribute("data-next"));
    }
    return;
  }
  var button = document.getElementById("oauth-signin");
  if (!button) { return; }
  var framed = window.top !== window.self;
  if (!framed) { return; }  // top-level: the link itself goes to RingCentral
  var status = document.getElementById("oauth-signin-status");
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var popup = window.open(button.getAttribute("data-popup"), "sidetalk-signin",
      "width=520,height=680");
    if (!popup) { status.textContent = "Allow pop-ups for Sidetalk to sign in."; return; }
    status.textContent = "Finish signing in in the RingCentral window.";
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) { return; }
    var data = event.data || {};
    if (data.type !== "sidetalk:signed-in" || typeof data.next !== "string") { return; }
    if (data.next.charAt(0) !== "/" || data.next.charAt(1) === "/") { return; }
    // The token goes in a form POST body to /auth/handoff, never in a URL.
    window.sidetalkPostForm("/auth/handoff", "_self",
      [["token", data.token || ""], ["csrf_token", data.csrf || ""], ["next", data.next]]);
  });
})();
