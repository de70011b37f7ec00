// Drivers the gateway has seen with a name (read-only): the registry behind the New Driver
// notifications it makes (schema/derived-packets.md section 3).
import {state} from './state.js';
import {h, append} from './dom.js';
import {timeEl} from './format.js';
import {get} from './api.js';

export async function viewDrivers(root, seq) {
  const d = await get('/api/v1/drivers');
  if (seq !== state.viewSeq) return;
  const rows = d.drivers || [];
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Drivers')),
    h('p', {class: 'muted'}, 'Driver cards seen with a name, from a Clocking packet or a driver card file. The first sighting of a card (or a new name) sends a New Driver notification to the location\'s destinations.'),
    rows.length === 0 ? h('p', {testid: 'drivers-empty'}, 'No driver seen yet.') :
      h('table', {class: 'grid', testid: 'drivers-table'},
        h('thead', null, h('tr', null, ['Card number', 'Surname', 'First names', 'First seen', 'Last seen', 'Device'].map((x) => h('th', null, x)))),
        h('tbody', null, rows.map((x) => h('tr', {testid: 'driver-row', dataset: {card: x.cardNumber}},
          h('td', null, x.cardNumber), h('td', null, x.surname), h('td', null, x.firstNames),
          h('td', null, timeEl(x.firstSeenAt)), h('td', null, timeEl(x.lastSeenAt)),
          h('td', null, x.lastSeenDevice ? h('a', {href: `#/devices/${encodeURIComponent(x.lastSeenDevice)}`}, x.lastSeenDevice) : ''))))));
}
