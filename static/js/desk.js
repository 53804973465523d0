// The desk: select rows for bulk actions, show only the chosen action's fields, keyboard
// shortcuts, and the amber band of the countdowns (countdown.js marks late and < 4 h).
// Everything is delegated to the document, so it keeps working after htmx swaps the queue.
(function () {

  function picks() { return document.querySelectorAll(".desk-pick"); }

  function showSelected() {
    var label = document.querySelector(".desk-selected");
    if (!label) return;
    var n = Array.prototype.filter.call(picks(), function (p) { return p.checked; }).length;
    if (n) label.textContent = label.dataset.template.replace("%s", n);
  }

  function showActionFields() {
    var select = document.getElementById("bulk-action");
    if (!select) return;
    document.querySelectorAll(".desk-bulk [data-for]").forEach(function (el) {
      var wanted = el.dataset.for.split(" ").indexOf(select.value) >= 0;
      el.hidden = !wanted;
      el.querySelectorAll("input, select").forEach(function (f) { f.disabled = !wanted; });
    });
  }

  function bands() {
    var now = Date.now(), desk = document.querySelector(".desk[data-amber-hours]");
    var AMBER = parseFloat(desk ? desk.dataset.amberHours : "24") * 3600 * 1000;
    document.querySelectorAll(".desk [data-deadline]").forEach(function (el) {
      var left = Date.parse(el.dataset.deadline) - now;
      el.classList.toggle("amber", left >= 4 * 3600 * 1000 && left < AMBER);
      el.classList.toggle("ok", left >= AMBER);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "desk-select-all") {
      picks().forEach(function (p) { p.checked = target.checked; });
    }
    if (target.id === "bulk-action") showActionFields();
    if (target.classList.contains("desk-pick") || target.id === "desk-select-all") showSelected();
  });

  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
    var search = document.getElementById("desk-q");
    if (event.key === "/" && !typing && search) {
      event.preventDefault();
      search.focus();
      search.select();
    } else if (event.key === "Escape" && event.target === search) {
      search.blur();
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    showActionFields();
    bands();
  });
  showActionFields();
  bands();
  setInterval(bands, 30000);
})();
