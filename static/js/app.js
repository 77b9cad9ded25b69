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
    // "Select all on this page" ticks every row of the bulk form's table.
    if (el.matches && el.matches("input[data-select-all]")) {
      var boxes = document.querySelectorAll("input[name=device][form='" + el.dataset.selectAll + "']");
      Array.prototype.forEach.call(boxes, function (box) { box.checked = el.checked; });
    }
  });
})();
// The list filter folds on a phone: closed on arrival, then as the person left it across htmx swaps.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 48rem)");
  var wantOpen = null;
  function apply(root) {
    var folds = (root.querySelectorAll ? root : document).querySelectorAll("details[data-filter-fold]");
    if (root.matches && root.matches("details[data-filter-fold]")) folds = [root];
    Array.prototype.forEach.call(folds, function (fold) {
      if (narrow.matches) fold.open = wantOpen === true;
      fold.addEventListener("toggle", function () { wantOpen = fold.open; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { apply(document); });
  // An empty control is no filter: leave it out of the request, so the URL holds only what is chosen.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.filters")) return;
    var data = event.detail.formData, empty = [];
    if (!data) return;
    data.forEach(function (value, key) { if (value === "") empty.push(key); });
    empty.forEach(function (key) {
      var kept = data.getAll(key).filter(function (v) { return v !== ""; });
      data.delete(key);
      kept.forEach(function (v) { data.append(key, v); });
    });
  });
  document.addEventListener("htmx:load", function (event) { apply(event.detail.elt); });
})();
// The header's live search: ArrowDown goes into the results, arrows move through them, Esc closes them.
(function () {
  "use strict";
  function links(box) { return Array.prototype.slice.call(box.querySelectorAll("a[href]")); }
  function close(input, box) {
    box.innerHTML = "";
    input.focus();
  }
  document.addEventListener("keydown", function (event) {
    var input = document.getElementById("global-search");
    var box = document.getElementById("search-dropdown");
    if (!input || !box) return;
    var inInput = event.target === input;
    var inBox = box.contains(event.target);
    if (!inInput && !inBox) return;
    var items = links(box);
    if (event.key === "Escape" && (box.innerHTML.trim() || inBox)) {
      event.preventDefault();
      close(input, box);
    } else if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      var next = inInput ? 0 : Math.min(items.indexOf(event.target) + 1, items.length - 1);
      items[next].focus();
    } else if (event.key === "ArrowUp" && inBox) {
      event.preventDefault();
      var at = items.indexOf(event.target);
      if (at <= 0) input.focus(); else items[at - 1].focus();
    }
  });
  document.addEventListener("click", function (event) {
    var box = document.getElementById("search-dropdown");
    if (box && box.innerHTML.trim() && !event.target.closest(".search")) box.innerHTML = "";
  });
})();
