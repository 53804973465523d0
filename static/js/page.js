// Behaviour the templates ask for with data attributes instead of inline handlers, so the
// Content-Security-Policy can forbid inline script (docs/security.md).
//   data-autosubmit        a <select> that submits its form when changed
//   data-navigate          a <select> whose chosen value is a URL to go to
//   data-confirm="text"    a button that asks before its form is submitted
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-autosubmit]") && el.form) el.form.submit();
    else if (el.matches("select[data-navigate]")) window.location.href = el.value;
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
