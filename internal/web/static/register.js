// The pickers of the register's civil-event forms: a person found by name
// and date of birth for a PIN field, with the name shown back; a commune
// chosen by province, or found by name without diacritics (current and
// pre-2025 units), for a unit field. Progressive enhancement only: without
// this file the fields take the PIN or the code, and the check page names
// the people and units before anything is recorded.
(function () {
  'use strict';

  var text = {};

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      });
  }

  function describe(p) {
    return p.full_name + ' · ' + p.birth_date + ' · ' + p.pin;
  }

  // A PIN field: the name shown back, and a search by name.
  function personPicker(input) {
    var id = input.id;
    var chosen = el('p', { 'class': 'picker-chosen', id: id + '-chosen', 'aria-live': 'polite' });
    var toggle = el('button', { type: 'button', 'class': 'button button-secondary button-small', id: id + '-open', 'aria-expanded': 'false', text: text.findPerson });
    var name = el('input', { 'class': 'input', id: id + '-q', type: 'text', autocomplete: 'off' });
    var birth = el('input', { 'class': 'input input-date', id: id + '-birth', type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: text.birthPlaceholder });
    var find = el('button', { type: 'button', 'class': 'button', id: id + '-find', text: text.find });
    var results = el('ul', { 'class': 'picker-results', id: id + '-results', 'aria-live': 'polite' });
    var panel = el('div', { 'class': 'picker', id: id + '-picker', hidden: '' }, [
      el('label', { 'for': id + '-q', 'class': 'label', text: text.personName }), name,
      el('label', { 'for': id + '-birth', 'class': 'label', text: text.personBirth }), birth,
      el('div', { 'class': 'actions' }, [find]), results
    ]);
    input.insertAdjacentElement('afterend', panel);
    input.insertAdjacentElement('afterend', toggle);
    input.insertAdjacentElement('afterend', chosen);

    function show(pin) {
      chosen.textContent = '';
      if (!/^\d{12}$/.test(pin)) return;
      getJSON('/register/lookup?pin=' + encodeURIComponent(pin)).then(function (a) {
        if (input.value.trim() !== pin) return;
        chosen.textContent = a.items.length ? '→ ' + describe(a.items[0]) : a.message;
      }).catch(function () {});
    }
    input.addEventListener('change', function () { show(input.value.trim()); });
    toggle.addEventListener('click', function () {
      var open = panel.hasAttribute('hidden');
      if (open) panel.removeAttribute('hidden'); else panel.setAttribute('hidden', '');
      toggle.setAttribute('aria-expanded', String(open));
      if (open) name.focus();
    });
    function search() {
      results.textContent = '';
      var url = '/register/lookup?name=' + encodeURIComponent(name.value) + '&birth=' + encodeURIComponent(birth.value);
      getJSON(url).then(function (a) {
        if (!a.items.length) {
          results.appendChild(el('li', { 'class': 'muted', text: a.message || text.none }));
          return;
        }
        a.items.forEach(function (p) {
          var b = el('button', { type: 'button', 'class': 'button button-secondary picker-pick', 'data-pin': p.pin, text: describe(p) });
          b.addEventListener('click', function () {
            input.value = p.pin;
            chosen.textContent = '→ ' + describe(p);
            panel.setAttribute('hidden', '');
            toggle.setAttribute('aria-expanded', 'false');
            input.focus();
          });
          results.appendChild(el('li', {}, [b]));
        });
      }).catch(function () { results.appendChild(el('li', { 'class': 'muted', text: text.failed })); });
    }
    find.addEventListener('click', search);
    [name, birth].forEach(function (f) {
      f.addEventListener('keydown', function (e) {
        if (e.key === 'Enter') { e.preventDefault(); search(); }
      });
    });
    show(input.value.trim());
  }

  // A unit field: a province, then a commune of it; or a search by name.
  function unitPicker(input) {
    var id = input.id;
    var chosen = el('p', { 'class': 'picker-chosen', id: id + '-chosen', 'aria-live': 'polite' });
    var province = el('select', { 'class': 'input', id: id + '-province' });
    var commune = el('select', { 'class': 'input', id: id + '-commune', disabled: '' });
    var q = el('input', { 'class': 'input', id: id + '-q', type: 'text', autocomplete: 'off', placeholder: text.unitPlaceholder });
    var legacy = el('input', { type: 'checkbox', id: id + '-legacy' });
    var results = el('ul', { 'class': 'picker-results', id: id + '-results', 'aria-live': 'polite' });
    var panel = el('div', { 'class': 'picker', id: id + '-picker' }, [
      el('label', { 'for': id + '-province', 'class': 'label', text: text.province }), province,
      el('label', { 'for': id + '-commune', 'class': 'label', text: text.commune }), commune,
      el('label', { 'for': id + '-q', 'class': 'label', text: text.unitSearch }), q,
      el('div', { 'class': 'checkbox' }, [legacy, el('label', { 'for': id + '-legacy', text: text.legacy })]),
      results
    ]);
    input.insertAdjacentElement('afterend', panel);
    input.insertAdjacentElement('afterend', chosen);

    function choose(code, label) {
      input.value = code;
      chosen.textContent = '→ ' + label;
    }
    function name(code) {
      chosen.textContent = '';
      if (!code) return;
      getJSON('/api/v1/units/' + encodeURIComponent(code)).then(function (u) {
        if (input.value.trim() === code) chosen.textContent = '→ ' + u.full_name;
      }).catch(function () {});
    }
    province.appendChild(el('option', { value: '', text: text.chooseProvince }));
    getJSON('/api/v1/units?limit=100').then(function (a) {
      a.items.forEach(function (u) { province.appendChild(el('option', { value: u.code, text: u.name })); });
      if (input.value.length === 2) province.value = input.value;
    }).catch(function () {});
    province.addEventListener('change', function () {
      commune.textContent = '';
      commune.setAttribute('disabled', '');
      if (!province.value) return;
      choose(province.value, province.options[province.selectedIndex].text);
      commune.appendChild(el('option', { value: '', text: text.chooseCommune }));
      getJSON('/api/v1/units?limit=500&province=' + encodeURIComponent(province.value)).then(function (a) {
        a.items.forEach(function (u) { commune.appendChild(el('option', { value: u.code, text: u.name })); });
        commune.removeAttribute('disabled');
      }).catch(function () {});
    });
    commune.addEventListener('change', function () {
      if (commune.value) choose(commune.value, commune.options[commune.selectedIndex].text + ', ' + province.options[province.selectedIndex].text);
    });
    var timer;
    function search() {
      results.textContent = '';
      if (q.value.trim().length < 2) return;
      var url = '/api/v1/units?limit=10&q=' + encodeURIComponent(q.value) + (legacy.checked ? '&legacy=true' : '');
      getJSON(url).then(function (a) {
        (a.items || []).forEach(function (u) {
          // A pre-2025 unit stands for the unit in force that took it over.
          var code = u.legacy ? (u.successor || '').replace(/^old:/, '') : u.code;
          var label = u.full_name + (u.legacy ? ' (' + text.legacyWord + ')' : '');
          var b = el('button', { type: 'button', 'class': 'button button-secondary picker-pick', 'data-code': code, text: label });
          if (!code) b.setAttribute('disabled', '');
          b.addEventListener('click', function () {
            choose(code, label);
            results.textContent = '';
            name(code);
          });
          results.appendChild(el('li', {}, [b]));
        });
        if (!results.children.length) results.appendChild(el('li', { 'class': 'muted', text: text.none }));
      }).catch(function () {});
    }
    q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    q.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); search(); } });
    legacy.addEventListener('change', search);
    input.addEventListener('change', function () { name(input.value.trim()); });
    name(input.value.trim());
  }

  document.addEventListener('DOMContentLoaded', function () {
    var t = document.getElementById('picker-text');
    if (!t) return;
    Object.keys(t.dataset).forEach(function (k) { text[k] = t.dataset[k]; });
    document.querySelectorAll('form.event-form input.input-pin').forEach(personPicker);
    document.querySelectorAll('form.event-form input.input-unit, form.search-form input.input-unit').forEach(unitPicker);
  });
})();
