// One device's page (#/devices/SERIAL): what it is, its company card (the card its card
// sessions use when the tracker names none; an admin changes it here), and the card relay's
// sessions and events of the device, and the tachograph files it uploaded.
import {state, isAdmin} from './state.js';
import {h, append} from './dom.js';
import {get, put} from './api.js';
import {flash} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route} from './router.js';
import {cardHref, sessionsTable, eventsSection} from './cards.js';
import {filesSection} from './files.js';
import {isTeltonika, protocolLabel} from './devices.js';

const devicePath = (serial) => `/api/v1/devices/${encodeURIComponent(serial)}`;

function companyCardForm(dev, cards) {
  const select = h('select', {testid: 'dev-company-card-select', value: dev.companyCard || ''},
    h('option', {value: ''}, '(none)'),
    cards.map((c) => h('option', {value: c.number}, `${c.number}${c.name ? ` (${c.name})` : ''}${c.expired ? ', expired' : ''}`)));
  const form = h('form', {class: 'inline-form', testid: 'dev-company-card-form', novalidate: true},
    field('Company card', select, 'companyCard', {hint: 'Used when the tracker opens a card session without naming a card.'}),
    h('button', {type: 'submit', class: 'primary', testid: 'dev-company-card-save'}, 'Save'),
    formError());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    try {
      await put(devicePath(dev.serial), {companyCard: select.value === '' ? null : select.value});
      flash(`Company card of device ${dev.serial} saved.`);
      route();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return form;
}

export async function viewDevice(root, seq, serial) {
  const [dev, l, cs, sessions, files] = await Promise.all([get(devicePath(serial)), get('/api/v1/locations'),
    get('/api/v1/cards'), get(`${devicePath(serial)}/card-sessions`), filesSection(serial)]);
  if (seq !== state.viewSeq) return;
  const locName = Object.fromEntries((l.locations || []).map((x) => [x.id, x.name]));
  const events = eventsSection(`${devicePath(serial)}/card-events`, 'dev-card-events');
  const card = dev.companyCard
    ? h('a', {href: cardHref(dev.companyCard), testid: 'dev-company-card'}, dev.companyCard)
    : h('span', {class: 'muted', testid: 'dev-company-card'}, 'none');
  const facts = [
    ['Location', dev.locationId === null || dev.locationId === undefined ? 'none' : (locName[dev.locationId] || `#${dev.locationId}`)],
    ['Registration', dev.registration || '-'],
    ['Protocol', h('span', {testid: 'dev-detail-protocol'}, protocolLabel(dev))],
    ['Key', isTeltonika(dev) ? 'none (a Teltonika device is known by its IMEI)' : dev.hasKey ? 'set' : 'none: cannot log in'],
    ['Last sequence', String(dev.lastSequence ?? 0)],
    ['Company card', card],
  ];
  append(root,
    h('div', {class: 'title'},
      h('h1', {testid: 'dev-detail', dataset: {serial: dev.serial}}, `Device ${dev.serial}`),
      h('a', {href: '#/devices', testid: 'dev-back'}, 'All devices')),
    h('dl', {class: 'facts'}, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    isAdmin() ? companyCardForm(dev, cs.cards || []) : null,
    h('h2', null, 'Tachograph files'),
    files,
    h('h2', null, 'Card sessions'),
    sessionsTable(sessions.sessions || [], 'dev-card-sessions', {withCard: true, withDevice: false}),
    h('h2', null, 'Card events'),
    events.el);
  await events.load();
}
