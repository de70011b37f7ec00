// Card bridges (issue 12; schema/card-bridge.md): the PC/SC programs at the fleet offices that
// hold the company cards, whether each is connected now and the cards online at it; register
// one (its key generated and shown once), change its description or key, rotate, remove.
import {state, adminOnly} from './state.js';
import {h, append, clear} from './dom.js';
import {timeEl} from './format.js';
import {get, post, put, del} from './api.js';
import {flash, flashError, confirmAction, showSecretOnce} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route, poll} from './router.js';
import {cardHref} from './cards.js';

const bridgePath = (ident) => `/api/v1/card-bridges/${encodeURIComponent(ident)}`;

function stateEl(b) {
  if (!b.connected) return h('span', {class: 'badge state-paused', testid: 'bridge-state', dataset: {connected: 'false'}}, 'disconnected');
  return h('span', {testid: 'bridge-state', dataset: {connected: 'true'}},
    h('span', {class: 'badge on'}, 'connected'), ` from ${b.address} since `, timeEl(b.connectedSince));
}

function bridgeRow(b, reload, openForm) {
  const rotate = async () => {
    if (!await confirmAction(`New key for card bridge ${b.ident}?`,
      'The current key stops working: a connected bridge is disconnected until its configuration has the new key.', 'Generate key')) return;
    try {
      const k = await post(`${bridgePath(b.ident)}/rotate-key`);
      showSecretOnce(`Key of card bridge ${b.ident}`, 'This key is shown this once; write it into the bridge\'s configuration now.', k.key);
      reload();
    } catch (e) { flashError(e, 'Cannot generate a key'); }
  };
  return h('tr', {testid: 'bridge-row', dataset: {ident: b.ident, connected: String(b.connected)}},
    h('td', {class: 'mono'}, b.ident),
    h('td', {class: 'wrap'}, b.description || ''),
    h('td', null, b.hasKey ? 'set' : h('span', {class: 'error-text'}, 'none: cannot log in')),
    h('td', null, stateEl(b)),
    h('td', {class: 'mono', testid: 'bridge-cards'}, (b.cards || []).length
      ? (b.cards || []).map((n, i) => [i ? ', ' : '', h('a', {href: cardHref(n)}, n)]) : h('span', {class: 'muted'}, 'none')),
    h('td', {class: 'row-actions'}, adminOnly(() => [
      h('button', {type: 'button', testid: 'bridge-edit', onclick: () => openForm(b)}, 'Edit'),
      h('button', {type: 'button', testid: 'bridge-genkey', onclick: rotate}, 'Generate key'),
      h('button', {type: 'button', class: 'danger', testid: 'bridge-delete', onclick: async () => {
        if (!await confirmAction(`Remove card bridge ${b.ident}?`, 'It can no longer log in; its cards go offline.', 'Remove')) return;
        try { await del(bridgePath(b.ident)); flash(`Card bridge ${b.ident} removed.`); reload(); }
        catch (e) { flashError(e, 'Cannot remove'); }
      }}, 'Remove'),
    ])));
}

export async function viewCardBridges(root, seq) {
  const bs = await get('/api/v1/card-bridges');
  if (seq !== state.viewSeq) return;
  const formHost = h('div');
  const reload = () => route();
  const openForm = (b) => {
    clear(formHost);
    formHost.append(bridgeForm(b, reload, () => clear(formHost)));
    formHost.querySelector('input').focus();
  };
  const body = h('tbody');
  const draw = (bridges) => {
    clear(body);
    if (!bridges.length) body.append(h('tr', null, h('td', {colspan: 6, class: 'muted'}, 'No card bridges yet.')));
    for (const b of bridges) body.append(bridgeRow(b, reload, openForm));
  };
  draw(bs.cardBridges || []);
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Card bridges'),
      adminOnly(() => h('button', {type: 'button', class: 'primary', testid: 'bridge-new', onclick: () => openForm(null)}, 'Register bridge'))),
    h('p', {class: 'muted'}, 'The programs (dcgw card-bridge) at the fleet offices that hold the company cards in their PC/SC readers.'),
    formHost,
    h('table', {class: 'grid', testid: 'bridges-table'},
      h('thead', null, h('tr', null, ['Ident', 'Description', 'Key', 'State', 'Cards online', ''].map((t) => h('th', null, t)))),
      body));
  poll(seq, async () => {
    const fresh = await get('/api/v1/card-bridges');
    if (seq === state.viewSeq) draw(fresh.cardBridges || []);
  });
}

export function bridgeForm(b, onSaved, onCancel) {
  const ident = b ? null : h('input', {testid: 'bridge-ident', maxlength: 32, size: 34, spellcheck: 'false', required: true});
  const description = h('input', {testid: 'bridge-description', maxlength: 200, size: 50, value: b ? b.description || '' : ''});
  const key = h('input', {testid: 'bridge-key', size: 70, spellcheck: 'false', autocomplete: 'off',
    placeholder: b ? 'blank keeps the current key' : 'blank: a key is generated and shown once'});
  const form = h('form', {class: 'card form', testid: 'bridge-form', novalidate: true},
    h('h2', null, b ? `Edit card bridge ${b.ident}` : 'Register a card bridge'),
    ident ? field('Ident', ident, 'ident', {required: true, hint: '1 to 32 printable characters without spaces, as in the bridge\'s configuration.'}) : null,
    field('Description', description, 'description'),
    field(b ? 'Set key' : 'Key', key, 'key', {hint: '32 to 128 hex digits (for instance from openssl rand -hex 32).'}),
    formError(),
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', class: 'primary', testid: 'bridge-save'}, 'Confirm'),
      h('button', {type: 'button', testid: 'bridge-cancel', onclick: onCancel}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {description: description.value.trim()};
    if (key.value.trim()) body.key = key.value.trim();
    showErrors(form, null);
    try {
      if (b) {
        await put(bridgePath(b.ident), body);
        flash(`Card bridge ${b.ident} saved.`);
      } else {
        body.ident = ident.value.trim();
        const made = await post('/api/v1/card-bridges', body);
        flash(`Card bridge ${body.ident} registered.`);
        if (made && made.key) showSecretOnce(`Key of card bridge ${body.ident}`, 'This key is shown this once; write it into the bridge\'s configuration now.', made.key);
      }
      onSaved();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return form;
}
