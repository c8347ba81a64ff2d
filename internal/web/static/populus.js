// Progressive enhancement only: every page works without this file.
(function () {
  'use strict';

  // A form marked data-submit-once is sent once: a double click must not
  // register the same birth twice.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute('data-submit-once')) return;
    if (form.dataset.sent) {
      e.preventDefault();
      return;
    }
    form.dataset.sent = '1';
    form.querySelectorAll('button[type=submit]').forEach(function (b) {
      b.setAttribute('aria-disabled', 'true');
    });
  });

  // Coming back to a page from the browser's cache re-arms its forms.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form[data-sent]').forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll('button[aria-disabled]').forEach(function (b) {
        b.removeAttribute('aria-disabled');
      });
    });
  });

  // A form that came back with mistakes puts the keyboard on its summary,
  // so screen readers read the errors first.
  document.addEventListener('DOMContentLoaded', function () {
    var summary = document.getElementById('error-summary');
    if (summary) summary.focus();
  });
})();
