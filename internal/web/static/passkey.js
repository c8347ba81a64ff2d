// Passkeys (WebAuthn) on the citizen's pages, progressive enhancement:
// a button marked data-passkey-signin signs in with a passkey through the
// identity API, then goes to its data-next (or reloads the page); a
// section marked data-passkey-add (in a form holding the holder's proof)
// registers a passkey of the signed-in holder under the name typed,
// sending the session's CSRF token in a header.
// Without WebAuthn in the browser, the buttons stay hidden.
(function () {
  'use strict';

  function bytes(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }

  function text(buf) {
    var b = new Uint8Array(buf), s = '';
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: bytes(d.id) }); });
  }

  function credentialJSON(c) {
    var r = c.response, out = { id: c.id, rawId: text(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}, response: { clientDataJSON: text(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = text(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = text(r.authenticatorData);
      out.response.signature = text(r.signature);
      if (r.userHandle) out.response.userHandle = text(r.userHandle);
    }
    return out;
  }

  // post sends body as JSON; a refusal rejects with its reasons (each
  // field's, else the detail), in the page's language.
  function post(url, body, csrf) {
    var headers = { 'Content-Type': 'application/json', 'Accept-Language': document.documentElement.lang || 'vi' };
    if (csrf) headers['X-CSRF-Token'] = csrf;
    return fetch(url, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (j) {
          if (!res.ok) {
            var reasons = (j.errors || []).map(function (e) { return e.reason; }).filter(Boolean);
            throw new Error(reasons.length ? reasons.join('; ') : (j.detail || j.title || String(res.status)));
          }
          return j;
        });
      });
  }

  // show says why a passkey failed: the server's reasons as they are, the
  // browser's refusals in the page's words (its own messages are English:
  // "This is an invalid domain." on a site named by its IP address).
  function show(el, err) {
    var out = el.querySelector('[data-passkey-error]') || document.querySelector('[data-passkey-error]');
    if (!out) return;
    var message = err.message;
    if (err.name === 'SecurityError' && out.getAttribute('data-msg-domain')) message = out.getAttribute('data-msg-domain');
    if (err.name === 'NotAllowedError' && out.getAttribute('data-msg-cancelled')) message = out.getAttribute('data-msg-cancelled');
    out.textContent = message;
    out.hidden = false;
  }

  function signIn(button) {
    button.disabled = true;
    post('/api/v1/identity/passkey/options', {}).then(function (c) {
      var pk = c.publicKey;
      pk.challenge = bytes(pk.challenge);
      pk.allowCredentials = descriptors(pk.allowCredentials);
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        return post('/api/v1/identity/passkey/session', { ceremony: c.ceremony, credential: credentialJSON(cred) });
      });
    }).then(function () {
      var next = button.getAttribute('data-next');
      if (next) window.location.href = next; else window.location.reload();
    }).catch(function (err) {
      button.disabled = false;
      show(button.parentNode, err);
    });
  }

  // add registers a passkey named by the form's name field, with the
  // holder's proof (the form's password and code fields).
  function add(form, button) {
    var csrf = form.elements.csrf.value, name = form.elements.name.value;
    var proof = { password: form.elements.password.value, code: form.elements.code.value };
    button.disabled = true;
    post('/api/v1/identity/me/passkeys/options', proof, csrf).then(function (c) {
      var pk = c.publicKey;
      pk.challenge = bytes(pk.challenge);
      pk.user.id = bytes(pk.user.id);
      pk.excludeCredentials = descriptors(pk.excludeCredentials);
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        return post('/api/v1/identity/me/passkeys', { ceremony: c.ceremony, name: name, credential: credentialJSON(cred) }, csrf);
      });
    }).then(function () {
      window.location.reload();
    }).catch(function (err) {
      button.disabled = false;
      show(button.closest('[data-passkey-add]'), err);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!window.PublicKeyCredential || !navigator.credentials) return;
    document.querySelectorAll('[data-passkey-signin]').forEach(function (b) {
      b.hidden = false;
      b.addEventListener('click', function () { signIn(b); });
    });
    document.querySelectorAll('[data-passkey-add]').forEach(function (section) {
      section.hidden = false;
      var button = section.querySelector('button');
      button.addEventListener('click', function (e) { e.preventDefault(); add(section.closest('form'), button); });
    });
  });
})();
