// API tokens (admin only): create, list, revoke.
import {state} from './state.js';
import {h, append} from './dom.js';
import {timeEl} from './format.js';
import {get, post, del} from './api.js';
import {flash, flashError, confirmAction, showSecretOnce} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route} from './router.js';

export async function viewTokens(root, seq) {
  const t = await get('/api/v1/tokens');
  if (seq !== state.viewSeq) return;
  const name = h('input', {testid: 'token-name', placeholder: 'name (who uses it)', required: true});
  const role = h('select', {testid: 'token-role'}, h('option', {value: 'auditor'}, 'auditor'), h('option', {value: 'admin'}, 'admin'));
  const err = formError();
  const form = h('form', {class: 'inline-form card', testid: 'token-form', novalidate: true},
    field('Name', name, 'name', {required: true}), field('Role', role, 'role'),
    h('button', {type: 'submit', class: 'primary', testid: 'token-create'}, 'Create token'), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    try {
      const made = await post('/api/v1/tokens', {name: name.value.trim(), role: role.value});
      showSecretOnce(`Token ${made.name}`, 'This token is shown this once; give it to its user now.', made.token);
      route();
    } catch (e) { if (e.status !== 401) showErrors(form, e); }
  });
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Tokens')),
    h('p', {class: 'muted'}, 'Admins change configuration and act on queues; auditors only read. Secrets are stored hashed and never shown again.'),
    form,
    h('table', {class: 'grid', testid: 'tokens-table'},
      h('thead', null, h('tr', null, ['Id', 'Name', 'Role', 'Created', 'Last used', ''].map((x) => h('th', null, x)))),
      h('tbody', null, (t.tokens || []).map((x) => h('tr', {testid: 'token-row', dataset: {id: x.id, name: x.name}},
        h('td', {class: 'num'}, x.id), h('td', null, x.name), h('td', null, x.role),
        h('td', null, timeEl(x.createdAt)), h('td', null, timeEl(x.lastUsedAt)),
        h('td', {class: 'row-actions'}, h('button', {type: 'button', class: 'danger', testid: 'token-revoke', onclick: async () => {
          if (!await confirmAction(`Revoke token ${x.name}?`, 'Whoever uses it is signed out at once.', 'Revoke')) return;
          try { await del(`/api/v1/tokens/${x.id}`); flash(`Token ${x.name} revoked.`); route(); }
          catch (e) { flashError(e, 'Cannot revoke'); }
        }}, 'Revoke')))))));
}
