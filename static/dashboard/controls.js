/* Small behaviours of admin pages, here rather than in inline handlers (which the
   Content-Security-Policy refuses): a select that submits its form, a print button. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-submit-on-change]")) {
      event.target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
