// Company cards (remote company-card authentication, issue 12): the list with what the card
// relay reports of each (online at which bridge and reader, in use by which device since when,
// how many trackers wait), a card's page with its last sessions and events, and the forms.
import {state, adminOnly} from './state.js';
import {h, append, clear} from './dom.js';
import {timeEl} from './format.js';
import {get, post, put, del, query} from './api.js';
import {flash, flashError, confirmAction} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route, poll} from './router.js';

const cardPath = (number) => `/api/v1/cards/${encodeURIComponent(number)}`;
export const cardHref = (number) => `#/cards/${encodeURIComponent(number)}`;

// "2.5 s", "450 ms", "3 min 5 s"
export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function expiresEl(c) {
  return h('span', {class: c.expired ? 'error-text' : null, testid: 'card-expires', dataset: {expired: String(!!c.expired)},
    title: c.expired ? 'Expired: the relay refuses it (an expired card can stop a vehicle unit\'s remote downloads).' : null},
  c.expiresOn, c.expired ? ' (expired)' : '');
}
export function onlineEl(c) {
  if (!c.online) return h('span', {class: 'badge state-paused', testid: 'card-online', dataset: {online: 'false'}}, 'offline');
  return h('span', {testid: 'card-online', dataset: {online: 'true'}},
    h('span', {class: 'badge on'}, 'online'), ` at ${c.bridge || '?'}`, c.reader ? h('span', {class: 'muted'}, ` (${c.reader})`) : null);
}
export function inUseEl(c) {
  if (!c.inUseBy) return h('span', {class: 'muted', testid: 'card-in-use'}, 'free');
  return h('span', {testid: 'card-in-use'}, h('a', {href: `#/devices/${encodeURIComponent(c.inUseBy)}`}, c.inUseBy), ' since ', timeEl(c.inUseSince));
}

// Ended sessions: when, who, where, how it ended, how long.
export function sessionsTable(sessions, testid, {withCard = false, withDevice = true} = {}) {
  const heads = ['Ended', withCard ? 'Card' : null, withDevice ? 'Device' : null, 'Bridge', 'Outcome', 'Duration', 'APDUs'].filter(Boolean);
  return h('table', {class: 'grid', testid},
    h('thead', null, h('tr', null, heads.map((t) => h('th', null, t)))),
    h('tbody', null,
      sessions.length ? null : h('tr', null, h('td', {colspan: heads.length, class: 'muted'}, 'No sessions yet.')),
      sessions.map((s) => h('tr', {testid: 'session-row', dataset: {id: s.id, outcome: s.outcome}},
        h('td', null, timeEl(s.endedAt)),
        withCard ? h('td', {class: 'mono'}, h('a', {href: cardHref(s.card)}, s.card)) : null,
        withDevice ? h('td', {class: 'mono'}, h('a', {href: `#/devices/${encodeURIComponent(s.device)}`}, s.device)) : null,
        h('td', null, s.bridge || h('span', {class: 'muted'}, '-')),
        h('td', {testid: 'session-outcome', class: s.outcome === 'FINISHED' ? null : 'error-text'}, s.outcome),
        h('td', {class: 'num', testid: 'session-duration', title: s.startedAt ? `started ${s.startedAt}` : 'never started'}, fmtMs(s.durationMs)),
        h('td', {class: 'num'}, s.apdus)))));
}

// The relay's events, newest first, with "Older" paging (GET .../events?before=).
export function eventsSection(path, testid) {
  const body = h('tbody');
  const more = h('button', {type: 'button', testid: `${testid}-older`, hidden: true}, 'Older events');
  let next = null;
  const load = async () => {
    const page = await get(path + query({before: next, limit: 50}));
    for (const e of page.events || []) {
      body.append(h('tr', {testid: 'event-row', dataset: {id: e.id, code: e.code}},
        h('td', null, timeEl(e.at)),
        h('td', {class: 'mono'}, e.code),
        h('td', {class: 'mono'}, e.card ? h('a', {href: cardHref(e.card)}, e.card) : '-'),
        h('td', {class: 'mono'}, e.device || '-'),
        h('td', null, e.bridge || '-'),
        h('td', {class: 'wrap'}, e.text)));
    }
    if (!body.firstChild) body.append(h('tr', null, h('td', {colspan: 6, class: 'muted'}, 'No events yet.')));
    next = page.next;
    more.hidden = next === null || next === undefined;
  };
  more.addEventListener('click', () => load().catch((e) => flashError(e, 'Cannot load events')));
  const el = h('div', {testid},
    h('table', {class: 'grid'},
      h('thead', null, h('tr', null, ['At', 'Code', 'Card', 'Device', 'Bridge', 'What happened'].map((t) => h('th', null, t)))),
      body),
    more);
  return {el, load};
}

function cardRow(c, reload, openForm) {
  return h('tr', {testid: 'card-row', dataset: {number: c.number, online: String(c.online), expired: String(c.expired)}},
    h('td', {class: 'mono'}, h('a', {href: cardHref(c.number), testid: 'card-open'}, c.number)),
    h('td', null, c.name || ''),
    h('td', null, expiresEl(c)),
    h('td', null, onlineEl(c)),
    h('td', null, inUseEl(c)),
    h('td', {class: 'num', testid: 'card-queue'}, c.queueLength ?? 0),
    h('td', {class: 'mono'}, (c.devices || []).join(', ') || h('span', {class: 'muted'}, 'none')),
    h('td', {class: 'row-actions'}, adminOnly(() => [
      h('button', {type: 'button', testid: 'card-edit', onclick: () => openForm(c)}, 'Edit'),
      h('button', {type: 'button', class: 'danger', testid: 'card-delete', onclick: () => removeCard(c, reload)}, 'Remove'),
    ])));
}

async function removeCard(c, onRemoved) {
  if (!await confirmAction(`Remove company card ${c.number}?`, 'Trackers can no longer authenticate with it.', 'Remove')) return;
  try { await del(cardPath(c.number)); flash(`Company card ${c.number} removed.`); onRemoved(); }
  catch (e) { flashError(e, 'Cannot remove'); }
}

export async function viewCards(root, seq) {
  const [cs, l] = await Promise.all([get('/api/v1/cards'), get('/api/v1/locations')]);
  if (seq !== state.viewSeq) return;
  const locations = l.locations || [];
  const formHost = h('div');
  const reload = () => route();
  const openForm = (card) => {
    clear(formHost);
    formHost.append(cardForm(card, locations, reload, () => clear(formHost)));
    formHost.querySelector('input').focus();
  };
  const body = h('tbody');
  const draw = (cards) => {
    clear(body);
    if (!cards.length) body.append(h('tr', null, h('td', {colspan: 8, class: 'muted'}, 'No company cards yet.')));
    for (const c of cards) body.append(cardRow(c, reload, openForm));
  };
  draw(cs.cards || []);
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Company cards'),
      adminOnly(() => h('button', {type: 'button', class: 'primary', testid: 'card-new', onclick: () => openForm(null)}, 'Add card'))),
    h('p', {class: 'muted'}, 'Trackers authenticate their vehicle units with these cards, held in the PC/SC readers of the card bridges.'),
    formHost,
    h('table', {class: 'grid', testid: 'cards-table'},
      h('thead', null, h('tr', null, ['Number', 'Name', 'Expires', 'Online', 'In use by', 'Queue', 'Devices', ''].map((t) => h('th', null, t)))),
      body));
  // The live state moves: the table follows it (the form above is left alone).
  poll(seq, async () => {
    const fresh = await get('/api/v1/cards');
    if (seq === state.viewSeq) draw(fresh.cards || []);
  });
}

export async function viewCard(root, seq, number) {
  const [c, l] = await Promise.all([get(cardPath(number)), get('/api/v1/locations')]);
  if (seq !== state.viewSeq) return;
  const locations = l.locations || [];
  const locName = Object.fromEntries(locations.map((x) => [x.id, x.name]));
  const formHost = h('div');
  const events = eventsSection(`${cardPath(number)}/events`, 'card-events');
  const pairs = [
    ['Name', c.name || '-'],
    ['Locations', (c.locationIds || []).map((i) => locName[i] || `#${i}`).join(', ') || 'none'],
    ['Expires', expiresEl(c)],
    ['Online', onlineEl(c)],
    ['In use by', inUseEl(c)],
    ['Waiting', h('span', {testid: 'card-queue'}, String(c.queueLength ?? 0))],
    ['Devices using it', (c.devices || []).join(', ') || 'none'],
  ];
  append(root,
    h('div', {class: 'title'},
      h('h1', {testid: 'card-detail', dataset: {number: c.number}}, `Company card ${c.number}`),
      h('a', {href: '#/cards', testid: 'card-back'}, 'All cards'),
      adminOnly(() => [
        h('button', {type: 'button', testid: 'card-edit', onclick: () => {
          clear(formHost);
          formHost.append(cardForm(c, locations, () => route(), () => clear(formHost)));
        }}, 'Edit'),
        h('button', {type: 'button', class: 'danger', testid: 'card-delete', onclick: () => removeCard(c, () => { location.hash = '#/cards'; })}, 'Remove'),
      ])),
    formHost,
    h('dl', {class: 'facts'}, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    h('h2', null, 'Last sessions'),
    sessionsTable(c.lastSessions || [], 'card-sessions'),
    h('h2', null, 'Events'),
    events.el);
  await events.load();
}

export function cardForm(card, locations, onSaved, onCancel) {
  const number = card ? null : h('input', {testid: 'card-number', maxlength: 16, size: 20, spellcheck: 'false', required: true});
  const name = h('input', {testid: 'card-name', maxlength: 64, size: 30, value: card ? card.name || '' : ''});
  const expires = h('input', {testid: 'card-expires-input', type: 'date', value: card ? card.expiresOn : '', required: true});
  const chosen = new Set(card ? card.locationIds || [] : []);
  const boxes = locations.map((x) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', testid: 'card-location', dataset: {id: x.id, name: x.name}, checked: chosen.has(x.id)}), ` ${x.name}`));
  const form = h('form', {class: 'card form', testid: 'card-form', novalidate: true},
    h('h2', null, card ? `Edit company card ${card.number}` : 'Add a company card'),
    number ? field('Card number', number, 'number', {required: true, hint: 'As printed on the card: normally 16 characters, no spaces.'}) : null,
    field('Name', name, 'name', {hint: 'For people, up to 64 characters.'}),
    field('Locations allowed', h('div', {class: 'multi', testid: 'card-locations'},
      boxes.length ? boxes : h('span', {class: 'muted'}, 'No locations yet.')), 'locationIds', {hint: 'The devices of these locations may use it.'}),
    field('Expires on', expires, 'expiresOn', {required: true, hint: 'The expiry date printed on the card; it is refused after this day (UTC).'}),
    formError(),
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', class: 'primary', testid: 'card-save'}, 'Confirm'),
      h('button', {type: 'button', testid: 'card-cancel', onclick: onCancel}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value.trim(), expiresOn: expires.value,
      locationIds: [...form.querySelectorAll('[data-testid="card-location"]:checked')].map((b) => Number(b.dataset.id)),
    };
    showErrors(form, null);
    try {
      if (card) {
        await put(cardPath(card.number), body);
        flash(`Company card ${card.number} saved.`);
      } else {
        body.number = number.value.trim();
        await post('/api/v1/cards', body);
        flash(`Company card ${body.number} added.`);
      }
      onSaved();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return form;
}
