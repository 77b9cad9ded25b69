// Small, CSP-safe behaviour: htmx error reporting and auto-submitting selects. No inline scripts anywhere.
(function () {
  "use strict";
  function showError(message) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    window.clearTimeout(showError.timer);
    showError.timer = window.setTimeout(function () { box.hidden = true; }, 8000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var label = document.body.dataset.errorLabel || "Request failed";
    showError(label + " (" + xhr.status + ")");
  });
  document.addEventListener("htmx:sendError", function () {
    showError(document.body.dataset.offlineLabel || "The server did not answer. Check the connection and retry.");
  });
  // An error answer carrying X-Error-Fragment is a fragment that says what failed: swap it in like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("X-Error-Fragment")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Requests the person did not trigger (polling, loads) keep no session alive: the server's idle limit ignores them.
  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.triggeringEvent;
    if (!trigger || trigger.type === "load" || trigger.type === "revealed" || trigger.type === "intersect") {
      event.detail.headers["X-Background"] = "1";
    }
  });
  // A confirm box swapped into the page: Cancel closes it and writes nothing (without JavaScript it is a link back).
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-confirm-cancel]");
    if (!cancel) return;
    var box = cancel.closest(".confirm-box");
    if (!box || !box.parentElement || box.parentElement.matches("main, #main")) return;
    event.preventDefault();
    box.remove();
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]")) {
      el.form.requestSubmit();
    }
  });
})();
