// Labelled form fields and the 400 reasons of the API shown beside them.
import {h, append, clear} from './dom.js';

let fieldSeq = 0;
// A labelled field with a place for the server's 400 reason about it.
export function field(label, control, name, {required = false, hint = null} = {}) {
  const err = h('span', {class: 'field-error', testid: `field-error-${name}`, hidden: true});
  const hintEl = h('span', {class: 'hint'}, hint || '');
  let forId = null;
  if (['INPUT', 'SELECT', 'TEXTAREA'].includes(control.tagName)) {
    forId = control.id || `f-${name}-${++fieldSeq}`;
    control.id = forId;
  }
  const row = h('div', {class: 'field', dataset: {field: name}},
    h('label', {for: forId}, label, required ? h('span', {class: 'req', title: 'required'}, ' *') : null),
    h('div', {class: 'control'}, control, hintEl, err));
  row.err = err;
  row.hint = hintEl;
  return row;
}
// Shows `fields` of a 400 next to each field; ones without a field go to the form's error.
export function showErrors(form, e) {
  for (const el of form.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
  const general = form.querySelector('.form-error');
  general.hidden = true;
  clear(general);
  if (!e) return;
  const unplaced = [];
  for (const f of e.fields || []) {
    const base = String(f.field || '').split(/[.[]/)[0];
    const el = form.querySelector(`.field-error[data-testid="field-error-${CSS.escape(base)}"]`);
    if (el) {
      el.textContent = el.textContent ? `${el.textContent}; ${f.reason}` : (f.field !== base ? `${f.field}: ${f.reason}` : f.reason);
      el.hidden = false;
    } else {
      unplaced.push(`${f.field}: ${f.reason}`);
    }
  }
  append(general, e.message, unplaced.length ? h('ul', null, unplaced.map((u) => h('li', null, u))) : null);
  general.hidden = false;
}
export const formError = () => h('div', {class: 'error form-error', testid: 'form-error', hidden: true});
