// Agents' entry form: show the call id for a hotline call and the store for a walk-in; the
// server checks both anyway. The other label's text comes from the form's data-received-label.
(function () {
  "use strict";
  var form = document.querySelector(".entry-form");
  if (!form) return;
  var label = form.querySelector("label[for=id_received_at]");
  if (label) {
    label.dataset.phone = label.firstChild.textContent;
    label.dataset.other = form.dataset.receivedLabel;
  }
  function sync() {
    var checked = form.querySelector("input[name=channel]:checked");
    var channel = checked ? checked.value : "phone";
    form.dataset.channel = channel;
    if (label) label.firstChild.textContent = channel === "phone" ? label.dataset.phone : label.dataset.other;
  }
  form.addEventListener("change", function (event) { if (event.target.name === "channel") sync(); });
  sync();
})();
