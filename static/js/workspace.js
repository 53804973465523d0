// The complaint workspace: Ctrl+Enter sends the reply; the timeline filter shows all entries,
// only what the customer sees, or only internal ones. Everything works without it.
(function () {
  var reply = document.getElementById("reply-form");
  if (reply) {
    reply.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        reply.requestSubmit();
      }
    });
  }
  var timeline = document.querySelector(".ws-timeline");
  document.querySelectorAll(".ws-legend [data-show]").forEach(function (button) {
    button.addEventListener("click", function () {
      var show = button.dataset.show;
      document.querySelectorAll(".ws-legend [data-show]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      timeline.querySelectorAll(".ws-entry").forEach(function (entry) {
        entry.hidden = show !== "all" && !entry.classList.contains("ws-" + show);
      });
    });
  });
})();
