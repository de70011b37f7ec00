// Devices, their keys, and the idents the uplink refused. A device speaks dcgw's uplink (logs in
// with its key) or Teltonika's protocol (known by its IMEI, with a family; no key).
import {state, adminOnly} from './state.js';
import {h, append, clear} from './dom.js';
import {timeEl} from './format.js';
import {get, post, put, del} from './api.js';
import {flash, flashError, confirmAction, showSecretOnce} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route} from './router.js';

export function locationSelect(locations, value, testid) {
  return h('select', {testid, value: value === null || value === undefined ? '' : String(value)},
    h('option', {value: ''}, '(no location)'),
    locations.map((x) => h('option', {value: String(x.id)}, x.name)));
}
export const locationValue = (sel) => (sel.value === '' ? null : Number(sel.value));

export const isTeltonika = (dev) => dev && dev.protocol === 'teltonika';
export const protocolLabel = (dev) => (isTeltonika(dev) ? `Teltonika ${dev.family || ''}`.trim() : 'dcgw');
const looksLikeImei = (serial) => /^[0-9]{15}$/.test(serial);

// The protocol and family inputs: the family only for Teltonika; `onChange` follows the choice.
function protocolInputs(prefix, protocol, family, onChange) {
  const proto = h('select', {testid: `${prefix}-protocol`, value: protocol},
    h('option', {value: 'dcgw'}, 'dcgw uplink (key)'),
    h('option', {value: 'teltonika'}, 'Teltonika (IMEI, no key)'));
  const fam = h('select', {testid: `${prefix}-family`, value: family || 'FMBxxx'},
    h('option', {value: 'FMBxxx'}, 'FMBxxx (FMB/FMC/FMM/FMU)'),
    h('option', {value: 'FMX6'}, 'FMX6 (FMB640/FMC640/FMM640/FMC650)'));
  const famField = field('Family', fam, 'family', {hint: 'Decides what its IO element ids mean.'});
  const sync = () => { famField.hidden = proto.value !== 'teltonika'; if (onChange) onChange(proto.value === 'teltonika'); };
  proto.addEventListener('change', sync);
  return {proto, fam, famField, sync,
    body: () => (proto.value === 'teltonika' ? {protocol: 'teltonika', family: fam.value} : {protocol: 'dcgw', family: null})};
}

export async function viewDevices(root, seq) {
  const [dv, l, r] = await Promise.all([get('/api/v1/devices'), get('/api/v1/locations'), get('/api/v1/refused-idents')]);
  if (seq !== state.viewSeq) return;
  const devices = dv.devices || [];
  const locations = l.locations || [];
  const refused = r.refusedIdents || [];
  const locName = Object.fromEntries(locations.map((x) => [x.id, x.name]));
  const formHost = h('div');
  const reload = () => route();
  const openForm = (dev) => {
    clear(formHost);
    formHost.append(deviceForm(dev, locations, reload, () => clear(formHost)));
    formHost.querySelector('input, select').focus();
  };
  const generateKey = async (serial) => {
    if (!await confirmAction(`New key for ${serial}?`,
      'The current key stops working: the tracker must be given the new key before it next logs in.', 'Generate key')) return;
    try {
      const k = await post(`/api/v1/devices/${encodeURIComponent(serial)}/key`);
      showSecretOnce(`Key of device ${serial}`, 'This key is shown this once; copy it to the tracker now.', k.key);
      reload();
    } catch (e) { flashError(e, 'Cannot generate a key'); }
  };

  const resetSequence = async (serial, last) => {
    if (!await confirmAction(`Reset the sequence of ${serial}?`,
      `The last sequence stored (${last}) becomes 0: the next packet is taken whatever its sequence (a new or wiped tracker). A logged-in tracker is disconnected and logs in again.`, 'Reset sequence')) return;
    try {
      await put(`/api/v1/devices/${encodeURIComponent(serial)}`, {lastSequence: 0});
      flash(`Sequence of device ${serial} reset.`);
      reload();
    } catch (e) { flashError(e, 'Cannot reset the sequence'); }
  };

  const refusedRows = refused.map((x) => {
    const row = h('tr', {testid: 'refused-row', dataset: {serial: x.serial}},
      h('td', {class: 'mono'}, x.serial),
      h('td', {class: 'mono'}, x.address || ''),
      h('td', {class: 'wrap'}, x.reason || ''),
      h('td', null, timeEl(x.firstAt)),
      h('td', null, timeEl(x.lastAt)),
      h('td', {class: 'num'}, x.attempts ?? ''),
      h('td', {class: 'row-actions'}, adminOnly(() => h('button', {type: 'button', class: 'primary', testid: 'refused-register', onclick: () => {
        const existing = row.nextSibling && row.nextSibling.dataset && row.nextSibling.dataset.testid === 'refused-form-row';
        if (existing) { row.nextSibling.remove(); return; }
        row.after(refusedForm(x.serial, locations, reload));
      }}, 'Register'))));
    return row;
  });

  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Devices'),
      adminOnly(() => h('button', {type: 'button', class: 'primary', testid: 'dev-new', onclick: () => openForm(null)}, 'Register device'))),
    formHost,
    h('table', {class: 'grid', testid: 'devices-table'},
      h('thead', null, h('tr', null, ['Serial', 'Protocol', 'Location', 'Registration', 'Key', 'Last sequence', 'Company card', ''].map((t) => h('th', null, t)))),
      h('tbody', null,
        devices.length ? null : h('tr', null, h('td', {colspan: 8, class: 'muted'}, 'No devices yet.')),
        devices.map((x) => h('tr', {testid: 'dev-row', dataset: {serial: x.serial}},
          h('td', {class: 'mono'}, h('a', {href: `#/devices/${encodeURIComponent(x.serial)}`, testid: 'dev-open'}, x.serial)),
          h('td', {testid: 'dev-protocol'}, protocolLabel(x)),
          h('td', {testid: 'dev-location'}, x.locationId === null || x.locationId === undefined
            ? h('span', {class: 'muted'}, 'none') : (locName[x.locationId] || `#${x.locationId}`)),
          h('td', null, x.registration || ''),
          h('td', {testid: 'dev-has-key'}, isTeltonika(x) ? h('span', {class: 'muted'}, 'none (by IMEI)')
            : x.hasKey ? 'set' : h('span', {class: 'error-text'}, 'none: cannot log in')),
          h('td', {class: 'num', testid: 'dev-last-sequence'}, x.lastSequence ?? 0),
          h('td', {class: 'mono', testid: 'dev-company-card'}, x.companyCard
            ? h('a', {href: `#/cards/${encodeURIComponent(x.companyCard)}`}, x.companyCard) : h('span', {class: 'muted'}, 'none')),
          h('td', {class: 'row-actions'}, adminOnly(() => [
            h('button', {type: 'button', testid: 'dev-edit', onclick: () => openForm(x)}, 'Edit'),
            isTeltonika(x) ? null : h('button', {type: 'button', testid: 'dev-genkey', onclick: () => generateKey(x.serial)}, 'Generate key'),
            h('button', {type: 'button', testid: 'dev-reset-sequence', disabled: !x.lastSequence, title: 'Forget the last sequence stored (a new or wiped tracker)',
              onclick: () => resetSequence(x.serial, x.lastSequence ?? 0)}, 'Reset sequence'),
            h('button', {type: 'button', class: 'danger', testid: 'dev-delete', onclick: async () => {
              if (!await confirmAction(`Delete device ${x.serial}?`, 'It can no longer log in.', 'Delete')) return;
              try { await del(`/api/v1/devices/${encodeURIComponent(x.serial)}`); flash(`Device ${x.serial} deleted.`); reload(); }
              catch (e) { flashError(e, 'Cannot delete'); }
            }}, 'Delete'),
          ])))))),
    h('h2', null, 'Refused idents'),
    h('p', {class: 'muted'}, 'Trackers the uplink turned away (who is knocking), most recent first.'),
    h('table', {class: 'grid', testid: 'refused-table'},
      h('thead', null, h('tr', null, ['Serial', 'Address', 'Reason', 'First', 'Last', 'Attempts', ''].map((t) => h('th', null, t)))),
      h('tbody', null, refused.length ? refusedRows : h('tr', null, h('td', {colspan: 7, class: 'muted'}, 'No refused logins.')))));
}

export function deviceForm(dev, locations, onSaved, onCancel) {
  const serial = dev ? null : h('input', {testid: 'dev-serial', maxlength: 15, required: true, size: 17, spellcheck: 'false'});
  const loc = locationSelect(locations, dev ? dev.locationId : null, 'dev-location-select');
  const reg = h('input', {testid: 'dev-registration', maxlength: 13, value: dev ? dev.registration || '' : ''});
  const key = h('input', {testid: 'dev-key', size: 70, spellcheck: 'false', autocomplete: 'off',
    placeholder: dev ? 'blank keeps the current key' : 'blank: a key is generated and shown once'});
  const err = formError();
  const keyField = field(dev ? 'Set key' : 'Key', key, 'key', {hint: '32 to 128 hex digits (for instance from openssl rand -hex 32).'});
  const serialField = serial ? field('Serial', serial, 'serial', {required: true, hint: '1 to 8 printable characters.'}) : null;
  // A Teltonika device has no key: its field goes, and its serial is its IMEI.
  const p = protocolInputs('dev', dev ? dev.protocol || 'dcgw' : 'dcgw', dev ? dev.family : null, (teltonika) => {
    keyField.hidden = teltonika;
    if (serialField) serialField.hint.textContent = teltonika ? 'Its IMEI: exactly 15 digits.' : '1 to 8 printable characters.';
  });
  p.sync();
  const form = h('form', {class: 'card form', testid: 'dev-form', novalidate: true},
    h('h2', null, dev ? `Edit device ${dev.serial}` : 'Register a device'),
    serialField,
    field('Protocol', p.proto, 'protocol', {hint: 'What the tracker speaks.'}),
    p.famField,
    field('Location', loc, 'locationId'),
    field('Registration', reg, 'registration', {hint: 'The vehicle registration, up to 13 characters.'}),
    keyField,
    err,
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', class: 'primary', testid: 'dev-save'}, 'Confirm'),
      h('button', {type: 'button', testid: 'dev-cancel', onclick: onCancel}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {locationId: locationValue(loc), registration: reg.value.trim(), ...p.body()};
    if (key.value.trim() && body.protocol !== 'teltonika') body.key = key.value.trim();
    showErrors(form, null);
    try {
      if (dev) {
        await put(`/api/v1/devices/${encodeURIComponent(dev.serial)}`, body);
        flash(`Device ${dev.serial} saved.`);
      } else {
        body.serial = serial.value.trim();
        await post('/api/v1/devices', body);
        flash(`Device ${body.serial} registered.`);
        if (!body.key && body.protocol !== 'teltonika') {
          const k = await post(`/api/v1/devices/${encodeURIComponent(body.serial)}/key`);
          showSecretOnce(`Key of device ${body.serial}`, 'This key is shown this once; copy it to the tracker now.', k.key);
        }
      }
      onSaved();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return form;
}

export function refusedForm(serial, locations, onSaved) {
  const loc = locationSelect(locations, null, 'refused-location');
  const reg = h('input', {testid: 'refused-registration', maxlength: 13, placeholder: 'registration'});
  const err = formError();
  const save = h('button', {type: 'submit', class: 'primary', testid: 'refused-save'}, 'Register with a new key');
  // A 15-digit ident is a Teltonika tracker's IMEI (a dcgw serial has at most 8 characters).
  const p = protocolInputs('refused', looksLikeImei(serial) ? 'teltonika' : 'dcgw', null, (teltonika) => {
    save.textContent = teltonika ? 'Register' : 'Register with a new key';
  });
  p.sync();
  const form = h('form', {class: 'inline-form', testid: 'refused-form', novalidate: true},
    h('strong', null, `Register ${serial}: `),
    field('Protocol', p.proto, 'protocol'),
    p.famField,
    field('Location', loc, 'locationId'),
    field('Registration', reg, 'registration'),
    save,
    err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    try {
      const dev = await post(`/api/v1/refused-idents/${encodeURIComponent(serial)}/register`,
        {locationId: locationValue(loc), registration: reg.value.trim(), ...p.body()});
      flash(`Device ${serial} registered.`);
      if (dev && dev.key) showSecretOnce(`Key of device ${serial}`, 'This key is shown this once; copy it to the tracker now.', dev.key);
      onSaved();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return h('tr', {testid: 'refused-form-row'}, h('td', {colspan: 7}, form));
}
