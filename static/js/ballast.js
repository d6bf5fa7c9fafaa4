/* Ballast: the little behaviour the pages need. No inline handlers (CSP). */
(function () {
  "use strict";

  // Dismiss a message alert.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss='alert']");
    if (!button) return;
    var alert = button.closest(".alert");
    if (alert) alert.remove();
  });

  // Confirm before submitting a form marked data-confirm="…".
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
