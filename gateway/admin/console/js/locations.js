// Locations (seed 004 figure 6): which destinations the devices of a location queue to.
import {state, adminOnly} from './state.js';
import {h, append, clear} from './dom.js';
import {get, post, put, del, methodLabel} from './api.js';
import {flash, flashError, confirmAction} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route} from './router.js';

export async function viewLocations(root, seq) {
  const [l, d] = await Promise.all([get('/api/v1/locations'), get('/api/v1/destinations')]);
  if (seq !== state.viewSeq) return;
  const locations = l.locations || [];
  const destinations = d.destinations || [];
  const destName = Object.fromEntries(destinations.map((x) => [x.id, x.name]));
  const formHost = h('div');
  const reload = () => route();
  const openForm = (loc) => {
    clear(formHost);
    formHost.append(locationForm(loc, destinations, reload, () => clear(formHost)));
    formHost.querySelector('[data-testid="loc-name"]').focus();
  };
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Locations'),
      adminOnly(() => h('button', {type: 'button', class: 'primary', testid: 'loc-new', onclick: () => openForm(null)}, 'Create location'))),
    h('p', {class: 'muted'}, 'Every device of a location queues its packets to each destination of the location.'),
    formHost,
    h('table', {class: 'grid', testid: 'locations-table'},
      h('thead', null, h('tr', null, ['Name', 'Description', 'Data packets forwarded to', 'Devices', ''].map((t) => h('th', null, t)))),
      h('tbody', null,
        locations.length ? null : h('tr', null, h('td', {colspan: 5, class: 'muted'}, 'No locations yet.')),
        locations.map((x) => h('tr', {testid: 'loc-row', dataset: {id: x.id, name: x.name}},
          h('td', null, x.name),
          h('td', {class: 'wrap'}, x.description || ''),
          h('td', {testid: 'loc-destinations'}, (x.destinationIds || []).map((i) => destName[i] || `#${i}`).join(', ') ||
            h('span', {class: 'muted'}, 'none')),
          h('td', {class: 'num', testid: 'loc-devices'}, x.devices ?? 0),
          h('td', {class: 'row-actions'}, adminOnly(() => [
            h('button', {type: 'button', testid: 'loc-edit', onclick: () => openForm(x)}, 'Edit'),
            h('button', {type: 'button', class: 'danger', testid: 'loc-delete', onclick: async () => {
              if (!await confirmAction(`Delete ${x.name}?`,
                `Its ${x.devices ?? 0} device(s) are left without a location (their packets are no longer queued).`, 'Delete')) return;
              try { await del(`/api/v1/locations/${x.id}`); flash(`${x.name} deleted.`); reload(); }
              catch (e) { flashError(e, 'Cannot delete'); }
            }}, 'Delete'),
          ])))))));
}

export function locationForm(loc, destinations, onSaved, onCancel) {
  const name = h('input', {testid: 'loc-name', value: loc ? loc.name : '', required: true});
  const description = h('input', {testid: 'loc-description', value: loc ? loc.description || '' : '', size: 50});
  const chosen = new Set(loc ? loc.destinationIds || [] : []);
  const boxes = destinations.map((x) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', testid: 'loc-dest', dataset: {id: x.id, name: x.name}, checked: chosen.has(x.id)}),
    ` ${x.name}`, h('span', {class: 'muted small'}, ` ${methodLabel(x.method)}${x.enabled ? '' : ', disabled'}`)));
  // Tachograph files (schema/files.md): naming convention, time zone, download periods.
  const files = (loc && loc.files) || {naming: 'eu', timeZone: 'UTC', vehicleUnitDownloadDays: 90, driverCardDownloadDays: 28};
  const naming = h('select', {testid: 'loc-file-naming', value: files.naming},
    [['eu', 'EU (.DDD)'], ['fr', 'France (.C1B, .V1B)'], ['es', 'Spain (.TGD)']].map(([v, t]) => h('option', {value: v}, t)));
  const timeZone = h('input', {testid: 'loc-time-zone', value: files.timeZone, size: 24});
  const vuDays = h('input', {testid: 'loc-vu-days', type: 'number', min: 1, max: 3650, value: files.vehicleUnitDownloadDays});
  const cardDays = h('input', {testid: 'loc-card-days', type: 'number', min: 1, max: 3650, value: files.driverCardDownloadDays});
  const err = formError();
  const form = h('form', {class: 'card form', testid: 'loc-form', novalidate: true},
    h('h2', null, loc ? `Edit location: ${loc.name}` : 'Create new location'),
    field('Name', name, 'name', {required: true}),
    field('Description', description, 'description'),
    field('Data packets forwarded to', h('div', {class: 'multi', testid: 'loc-destinations-select'},
      boxes.length ? boxes : h('span', {class: 'muted'}, 'No destinations yet.')), 'destinationIds'),
    field('Tachograph file names', naming, 'files.naming'),
    field('Time zone of the names', timeZone, 'files.timeZone', {hint: 'An IANA zone, e.g. Europe/Paris; UTC by default.'}),
    field('Vehicle unit download every (days)', vuDays, 'files.vehicleUnitDownloadDays'),
    field('Driver card download every (days)', cardDays, 'files.driverCardDownloadDays'),
    err,
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', class: 'primary', testid: 'loc-save'}, 'Confirm'),
      h('button', {type: 'button', testid: 'loc-cancel', onclick: onCancel}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value.trim(), description: description.value,
      destinationIds: [...form.querySelectorAll('[data-testid="loc-dest"]:checked')].map((b) => Number(b.dataset.id)),
      files: {naming: naming.value, timeZone: timeZone.value.trim(),
        vehicleUnitDownloadDays: Number(vuDays.value), driverCardDownloadDays: Number(cardDays.value)},
    };
    showErrors(form, null);
    try {
      if (loc) await put(`/api/v1/locations/${loc.id}`, body); else await post('/api/v1/locations', body);
      flash(`Location ${body.name} saved.`);
      onSaved();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return form;
}
