// Flash messages, modal questions and secrets shown once.
import {$, h, clear} from './dom.js';

let flashTimer = null;
export function flash(message, kind = 'ok') {
  const el = $('#flash');
  el.textContent = message;
  el.className = `flash ${kind}`;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 12000 : 6000);
}
export function flashError(e, what) {
  flash(`${what}: ${e.message}`, 'error');
}

// A modal with an optional text input; resolves to the input's value (or true) or null.
export function ask({title, message, input, okLabel = 'OK', danger = false, prefix = 'dialog'}) {
  const dlg = $('#dialog');
  clear(dlg);
  return new Promise((resolve) => {
    let field = null;
    const err = h('p', {class: 'error', hidden: true});
    const done = (v) => { dlg.close(); resolve(v); };
    const form = h('form', {method: 'dialog', testid: `${prefix}-dialog`},
      h('h2', null, title),
      message ? h('p', null, message) : null,
      input ? h('label', null, input.label,
        field = h(input.multiline ? 'textarea' : 'input', {
          testid: `${prefix}-input`, type: input.type || 'text', value: input.value || '',
          placeholder: input.placeholder || '', rows: input.multiline ? 3 : null,
        })) : null,
      err,
      h('div', {class: 'buttons'},
        h('button', {type: 'button', testid: `${prefix}-cancel`, onclick: () => done(null)}, 'Cancel'),
        h('button', {type: 'submit', class: danger ? 'danger' : 'primary', testid: `${prefix}-ok`}, okLabel)));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (field) {
        const v = field.value.trim();
        if (input.required && !v) {
          err.textContent = `${input.label} is required.`;
          err.hidden = false;
          field.focus();
          return;
        }
        done(v);
      } else {
        done(true);
      }
    });
    dlg.append(form);
    dlg.onclose = () => resolve(null); // Escape key
    dlg.showModal();
    (field || form.querySelector('button[type=submit]')).focus();
  });
}
export const confirmAction = (title, message, okLabel, danger = true) =>
  ask({title, message, okLabel, danger, prefix: 'confirm'});

// A secret (device key, token) shown once with a copy button.
export function showSecretOnce(title, message, secret) {
  const dlg = $('#dialog');
  clear(dlg);
  const value = h('input', {readonly: true, value: secret, testid: 'key-once-value', class: 'secret'});
  const copied = h('span', {class: 'muted'});
  dlg.append(h('div', {testid: 'key-once'},
    h('h2', null, title),
    h('p', null, message),
    value,
    h('div', {class: 'buttons'},
      copied,
      h('button', {type: 'button', testid: 'key-once-copy', onclick: async () => {
        value.select();
        try { await navigator.clipboard.writeText(secret); copied.textContent = 'copied'; }
        catch { document.execCommand('copy'); copied.textContent = 'copied'; }
      }}, 'Copy'),
      h('button', {type: 'button', class: 'primary', testid: 'key-once-close',
        onclick: () => dlg.close()}, 'I have stored it'))));
  dlg.onclose = null;
  dlg.showModal();
  value.select();
}
