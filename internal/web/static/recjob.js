// The reconciliation jobs' page (recjobs.html), progressive enhancement:
// the upload sends the CSRF token in a header, so that the session guard
// need not read the form (which bounds it to 1 MiB), and the list of jobs
// refreshes itself while a job is queued or running.
(function () {
  'use strict';

  function replaceMain(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var next = doc.querySelector('main');
    var main = document.querySelector('main');
    if (next && main) main.replaceWith(next);
    var errors = document.getElementById('recjob-errors');
    if (errors) errors.focus();
    arm();
  }

  function upload(e) {
    var form = e.target;
    e.preventDefault();
    if (form.dataset.sent) return;
    form.dataset.sent = '1';
    var status = form.querySelector('[data-recjob-status]');
    if (status) status.textContent = '…';
    fetch(form.action, {
      method: 'POST',
      body: new FormData(form),
      headers: { 'X-CSRF-Token': form.elements.csrf.value },
      credentials: 'same-origin'
    }).then(function (res) {
      if (res.redirected) {
        window.location.href = res.url;
        return;
      }
      return res.text().then(replaceMain);
    }).catch(function () {
      delete form.dataset.sent;
      form.submit();
    });
  }

  var timer = null;
  function refresh() {
    timer = null;
    if (!document.querySelector('[data-recjob-refresh]')) return;
    fetch(window.location.href, { credentials: 'same-origin' }).then(function (res) {
      return res.ok ? res.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var next = doc.getElementById('recjob-list');
      var list = document.getElementById('recjob-list');
      if (next && list) list.replaceWith(next);
      arm();
    });
  }

  function arm() {
    var form = document.querySelector('form[data-recjob-upload]');
    if (form && !form.dataset.armed) {
      form.dataset.armed = '1';
      form.addEventListener('submit', upload);
    }
    if (!timer && document.querySelector('[data-recjob-refresh]')) {
      timer = window.setTimeout(refresh, 5000);
    }
  }

  document.addEventListener('DOMContentLoaded', arm);
})();
