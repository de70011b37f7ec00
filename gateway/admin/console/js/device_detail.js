// One device's page (#/devices/SERIAL): what it is, when it last sent a packet and its last
// packets with each destination's delivery, its company card (the card its card sessions use
// when the tracker names none; an admin changes it here), the card relay's sessions and events
// of the device, and the tachograph files it uploaded.
import {state, isAdmin} from './state.js';
import {h, append} from './dom.js';
import {get, put, query} from './api.js';
import {timeEl, fmtDuration, fmtType} from './format.js';
import {flash} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route} from './router.js';
import {cardHref, sessionsTable, eventsSection} from './cards.js';
import {filesSection} from './files.js';
import {isTeltonika, protocolLabel} from './devices.js';

const devicePath = (serial) => `/api/v1/devices/${encodeURIComponent(serial)}`;
const LAST_PACKETS = 10;

// The device's last packets from its queue entries (the store keeps packets per destination
// queue): the entries received in the 10 minutes before its last packet, from every queue,
// grouped by packet, newest first, with the state of each destination's entry.
async function lastPackets(dev) {
  if (!dev.lastPacketAt) return h('p', {class: 'muted', testid: 'dev-last-packets'}, 'It has not sent a packet yet.');
  const from = new Date(new Date(dev.lastPacketAt).getTime() - 10 * 60_000).toISOString();
  const queues = (await get('/api/v1/queues')).queues || [];
  const packets = new Map(); // packetId -> {entry, states: [[queue, entry]]}
  await Promise.all(queues.map(async (q) => {
    let after = '';
    for (let page = 0; page < 5; page++) {
      const r = await get(`/api/v1/queues/${q.destinationId}/entries${query({device: dev.serial, from, after, limit: 100})}`);
      for (const e of r.entries || []) {
        if (!packets.has(e.packetId)) packets.set(e.packetId, {entry: e, states: []});
        packets.get(e.packetId).states.push([q, e]);
      }
      if (r.next === null || r.next === undefined) break;
      after = r.next;
    }
  }));
  const rows = [...packets.values()].sort((a, b) => b.entry.packetId - a.entry.packetId).slice(0, LAST_PACKETS);
  if (!rows.length) {
    return h('p', {class: 'muted', testid: 'dev-last-packets'},
      'Its last packets went to no destination (its location has none, or their filters left them out).');
  }
  return h('table', {class: 'grid compact', testid: 'dev-last-packets'},
    h('thead', null, h('tr', null, ['Received', 'Packet', 'Filter key', 'Destinations'].map((t) => h('th', null, t)))),
    h('tbody', null, rows.map(({entry, states}) => h('tr', {testid: 'dev-last-packet', dataset: {packet: entry.packetId}},
      h('td', null, timeEl(entry.receivedAt)),
      h('td', null, `${fmtType(entry.type)} #${entry.packetId}`),
      h('td', null, entry.filterKey || ''),
      h('td', null, states.map(([q, e]) => h('a', {href: `#/queues/${q.destinationId}`, class: `badge entry-${e.state}`,
        title: `entry #${e.id} of ${q.name}: ${e.state}`}, `${q.name}: ${e.state}`)))))));
}

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
  const packets = await lastPackets(dev);
  if (seq !== state.viewSeq) return;
  const seen = dev.lastPacketAt
    ? h('span', {testid: 'dev-last-seen', dataset: {at: dev.lastPacketAt}}, timeEl(dev.lastPacketAt),
      ` (${fmtDuration((Date.now() - new Date(dev.lastPacketAt).getTime()) / 1000)} ago)`)
    : h('span', {class: 'muted', testid: 'dev-last-seen'}, 'never');
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
    ['Last seen', seen],
    ['Last sequence', String(dev.lastSequence ?? 0)],
    ['Company card', card],
  ];
  append(root,
    h('div', {class: 'title'},
      h('h1', {testid: 'dev-detail', dataset: {serial: dev.serial}}, `Device ${dev.serial}`),
      h('a', {href: '#/devices', testid: 'dev-back'}, 'All devices')),
    h('dl', {class: 'facts'}, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    isAdmin() ? companyCardForm(dev, cs.cards || []) : null,
    h('h2', null, 'Last packets'),
    packets,
    h('h2', null, 'Tachograph files'),
    files,
    h('h2', null, 'Card sessions'),
    sessionsTable(sessions.sessions || [], 'dev-card-sessions', {withCard: true, withDevice: false}),
    h('h2', null, 'Card events'),
    events.el);
  await events.load();
}
