// Live updates without a framework: every element with data-live="<url>" is refreshed from that
// URL every second. The server answers 304 while nothing changed (an ETag per view), so an
// open screen costs one small request per poll. If polling keeps failing (signed out, the
// server restarting), the page reloads itself, as a plain refresh would.
(function () {
  "use strict";
  var EVERY = 1000;
  var RELOAD_AFTER_FAILURES = 5;

  function watch(element) {
    var url = element.getAttribute("data-live");
    var etag = element.getAttribute("data-etag") || "";
    var failures = 0;

    function poll() {
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 304) {
            failures = 0;
            return null;
          }
          if (!response.ok || response.redirected) {
            throw new Error("live update: " + response.status);
          }
          failures = 0;
          var state = element.getAttribute("data-state");
          if (state && response.headers.get("X-Incident-State") !== state) {
            // Someone else moved the incident on: show the actions its new state allows.
            window.location.reload();
            return null;
          }
          etag = response.headers.get("ETag") || "";
          return response.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined) {
            element.innerHTML = html;
            element.setAttribute("data-updated", new Date().toISOString());
          }
        })
        .catch(function () {
          failures += 1;
          if (failures >= RELOAD_AFTER_FAILURES) {
            window.location.reload();
          }
        })
        .finally(function () {
          window.setTimeout(poll, EVERY);
        });
    }
    window.setTimeout(poll, EVERY);
  }

  document.querySelectorAll("[data-live]").forEach(watch);
})();
