// Live countdowns: every element with data-deadline shows the time left, or how late it is.
// Labels come from the page (data-left / data-late on the element, data-day on <body>) so the
// text follows the user's language.
(function () {
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(seconds, dayLabel) {
    var s = Math.abs(Math.floor(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + dayLabel + " " : "") + pad(h) + ":" + pad(m);
  }
  function tick() {
    var now = Date.now(), dayLabel = document.body.dataset.day || "d";
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = (Date.parse(el.dataset.deadline) - now) / 1000;
      var template = left < 0 ? el.dataset.late : el.dataset.left;
      el.textContent = template.replace("%s", format(left, dayLabel));
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 4 * 3600);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
