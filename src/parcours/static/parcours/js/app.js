// Parcours: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Move focus to the error summary so that screen readers announce the errors at once.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
  // CSRF token for htmx requests, read from the page rather than a cookie (the cookie is HttpOnly).
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });
  // Confirmation prompts declared in markup (data-confirm) rather than inline handlers (CSP).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
