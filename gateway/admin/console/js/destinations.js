// Forwarding destinations (seed 004 section 3, figures 1-5): the list and the form, whose
// fields follow the methods table of GET /api/v1/methods.
import {state, adminOnly} from './state.js';
import {h, append, clear} from './dom.js';
import {filterSummary} from './format.js';
import {get, post, put, del, filterKeys, methodTable, methodLabel, methodRow, takesSetting, settingDefault} from './api.js';
import {flash, flashError, confirmAction} from './ui.js';
import {field, showErrors, formError} from './forms.js';
import {route} from './router.js';

export async function viewDestinations(root, seq) {
  const [d, l] = await Promise.all([get('/api/v1/destinations'), get('/api/v1/locations')]);
  if (seq !== state.viewSeq) return;
  const destinations = d.destinations || [];
  const locationNames = Object.fromEntries((l.locations || []).map((x) => [x.id, x.name]));
  const formHost = h('div');
  const reload = () => route();

  const openForm = async (dest) => {
    const [keys, methods] = await Promise.all([filterKeys(), methodTable()]);
    clear(formHost);
    formHost.append(destinationForm(dest, keys, methods, reload, () => clear(formHost)));
    formHost.scrollIntoView({block: 'start'});
    formHost.querySelector('[data-testid="dest-name"]').focus();
  };

  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Forwarding destinations'),
      adminOnly(() => h('button', {type: 'button', class: 'primary', testid: 'dest-new', onclick: () => openForm(null)},
        'Add destination'))),
    h('p', {class: 'muted'}, 'Where packets are forwarded (seed 004 section 3). Set a destination against a location to make its devices queue packets to it.'),
    formHost,
    h('div', {class: 'scroll'}, h('table', {class: 'grid', testid: 'destinations-table'},
      h('thead', null, h('tr', null, ['Name', 'Method', 'Host', 'Format', 'Custom tags', 'Filter', 'Locations', 'State', '']
        .map((t) => h('th', null, t)))),
      h('tbody', null,
        destinations.length ? null : h('tr', null, h('td', {colspan: 9, class: 'muted'}, 'No destinations yet.')),
        destinations.map((x) => h('tr', {testid: 'dest-row', dataset: {id: x.id, name: x.name}},
          h('td', {testid: 'dest-name-cell'}, x.name),
          h('td', null, methodLabel(x.method)),
          h('td', {class: 'wrap'}, takesSetting(x.method, 'port') ? `${x.host}:${x.port}` : x.host),
          h('td', null, takesSetting(x.method, 'format') ? x.format : '-'),
          h('td', {class: 'wrap mono'}, x.customTags || ''),
          h('td', {testid: 'dest-filter', title: x.filter ? x.filter.join('\n') : 'every packet, including types added later'},
            filterSummary(x.filter)),
          h('td', null, (x.locationIds || []).map((i) => locationNames[i] || `#${i}`).join(', ')),
          h('td', null, h('span', {class: `badge ${x.enabled ? 'on' : 'off'}`, testid: 'dest-enabled-state'},
            x.enabled ? (x.paused ? 'enabled, paused' : 'enabled') : 'disabled')),
          h('td', {class: 'row-actions'}, adminOnly(() => [
            h('button', {type: 'button', testid: 'dest-edit', onclick: () => openForm(x)}, 'Edit'),
            x.enabled
              ? h('button', {type: 'button', testid: 'dest-disable', onclick: async () => {
                try { await post(`/api/v1/destinations/${x.id}/disable`); flash(`${x.name} disabled.`); reload(); }
                catch (e) { flashError(e, 'Cannot disable'); }
              }}, 'Disable')
              : h('button', {type: 'button', testid: 'dest-enable', onclick: async () => {
                try { await post(`/api/v1/destinations/${x.id}/enable`); flash(`${x.name} enabled.`); reload(); }
                catch (e) { flashError(e, 'Cannot enable'); }
              }}, 'Enable'),
            h('button', {type: 'button', class: 'danger', testid: 'dest-delete', onclick: async () => {
              if (!await confirmAction(`Delete ${x.name}?`,
                'It leaves every location and forwarding to it stops. Its history stays in the audit log.', 'Delete')) return;
              try { await del(`/api/v1/destinations/${x.id}`); flash(`${x.name} deleted.`); reload(); }
              catch (e) { flashError(e, 'Cannot delete'); }
            }}, 'Delete'),
          ])))))))); 
}

// Seed 004 figures 1-5: the fields a method needs, and the packet filter. `methods` is the table
// of GET /api/v1/methods: which fields show for a method, their defaults and hints.
export function destinationForm(dest, keys, methods, onSaved, onCancel) {
  const d = dest || {
    name: '', method: methods.length ? methods[0].name : 'rest', host: '', port: null,
    format: settingDefault('format', 'base64binary'), customTags: settingDefault('customTags', ''),
    filter: null, enabled: true, tlsVerify: settingDefault('tlsVerify', true),
    tlsCaFile: settingDefault('tlsCaFile', ''), replyTimeoutMs: settingDefault('replyTimeoutMs', 20000),
  };
  const setting = (name) => {
    for (const m of methods) for (const s of m.settings) if (s.name === name) return s;
    return {};
  };
  let filter = d.filter === null || d.filter === undefined ? null : [...d.filter];

  const name = h('input', {testid: 'dest-name', value: d.name, required: true, maxlength: 200});
  const method = h('select', {testid: 'dest-method', value: d.method},
    methods.map((m) => h('option', {value: m.name}, m.label)));
  const host = h('input', {testid: 'dest-host', value: d.host || '', required: true, size: 50, spellcheck: 'false'});
  const port = h('input', {testid: 'dest-port', type: 'number', min: setting('port').minimum ?? 1,
    max: setting('port').maximum ?? 65535, value: d.port ?? ''});
  const format = h('select', {testid: 'dest-format', value: d.format || 'base64binary'},
    (setting('format').values || ['base64binary', 'hex']).map((v) => h('option', {value: v}, v)));
  const tags = h('input', {testid: 'dest-custom-tags', value: d.customTags || '', size: 50, spellcheck: 'false'});
  const enabled = h('input', {type: 'checkbox', testid: 'dest-enabled', checked: d.enabled !== false});
  const tlsVerify = h('input', {type: 'checkbox', testid: 'dest-tls-verify', checked: d.tlsVerify !== false});
  const tlsCa = h('input', {testid: 'dest-tls-ca-file', value: d.tlsCaFile || '', size: 50, placeholder: '/etc/dcgw/receiver-ca.pem'});
  const replyTimeout = h('input', {testid: 'dest-reply-timeout', type: 'number', min: setting('replyTimeoutMs').minimum ?? 1,
    max: setting('replyTimeoutMs').maximum, value: d.replyTimeoutMs ?? settingDefault('replyTimeoutMs', 20000)});

  // Figure 5: "Use filter: Select All / Select None" and one box per filter key.
  const summary = h('span', {class: 'filter-summary', testid: 'filter-summary'});
  const allKeys = [...keys, ...(filter || []).filter((k) => !keys.includes(k))];
  const boxes = allKeys.map((k) => h('input', {type: 'checkbox', testid: `filter-key-${k}`, dataset: {key: k},
    onchange: () => { filter = boxes.filter((b) => b.checked).map((b) => b.dataset.key); drawFilter(); }}));
  const drawFilter = () => {
    for (const b of boxes) b.checked = filter === null || filter.includes(b.dataset.key);
    summary.dataset.mode = filter === null ? 'all' : (filter.length ? 'some' : 'none');
    summary.textContent = filter === null
      ? 'Every packet, including packet types added later.'
      : filter.length === 0 ? 'No packets are forwarded.'
        : `${filter.length} of ${keys.length} packet kinds; packet types added later are not forwarded.`;
  };
  drawFilter();
  const filterBox = h('div', {class: 'filter', testid: 'dest-filter-box'},
    h('div', null,
      h('button', {type: 'button', class: 'link', testid: 'filter-select-all', onclick: () => { filter = null; drawFilter(); }}, 'Select all'),
      ' ',
      h('button', {type: 'button', class: 'link', testid: 'filter-select-none', onclick: () => { filter = []; drawFilter(); }}, 'Select none'),
      ' ', summary),
    h('div', {class: 'filter-grid'}, boxes.map((b) => h('label', {class: 'check'}, b, ` ${b.dataset.key}`))));

  const rows = {
    name: field('Name', name, 'name', {required: true}),
    type: field('Type', h('span', {testid: 'dest-type'}, 'Packet'), 'type'),
    host: field('Host Name', host, 'host', {required: true}),
    port: field('Port Number', port, 'port', {required: true}),
    method: field('Method', method, 'method', {required: true}),
    format: field('Format', format, 'format', {required: true, hint: 'How the packet bytes are written in the message.'}),
    customTags: field('Custom Tags', tags, 'customTags'),
    filter: field('Use filter', filterBox, 'filter'),
    tlsVerify: field('TLS', h('label', {class: 'check'}, tlsVerify, ' verify the receiver\'s certificate (https)'), 'tlsVerify'),
    tlsCaFile: field('TLS CA file', tlsCa, 'tlsCaFile', {hint: 'An extra CA (PEM file on the gateway) to trust; blank for the system CAs.'}),
    replyTimeoutMs: field('Reply timeout (ms)', replyTimeout, 'replyTimeoutMs'),
    enabled: field('Enabled', h('label', {class: 'check'}, enabled, ' forward packets to this destination'), 'enabled'),
  };
  // A row per setting shows only for the methods that read it, as GET /api/v1/methods lists them
  // (replyTimeoutMs: REST, SOAP and binary mode, the methods with a reply).
  const settingRows = ['port', 'format', 'customTags', 'tlsVerify', 'tlsCaFile', 'replyTimeoutMs'];
  const onMethod = () => {
    const m = methodRow(method.value) || {host: {}, customTags: {}, settings: []};
    for (const s of settingRows) rows[s].hidden = !takesSetting(method.value, s);
    host.placeholder = m.host.example || '';
    rows.host.hint.textContent = m.host.description || '';
    tags.placeholder = m.customTags.example || '';
    rows.customTags.hint.textContent = m.customTags.description || '';
  };
  method.addEventListener('change', onMethod);
  onMethod();

  const err = formError();
  const form = h('form', {class: 'card form', testid: 'dest-form', novalidate: true},
    h('h2', null, dest ? `Edit forwarding destination: ${dest.name}` : 'Add new forwarding destination'),
    Object.values(rows),
    h('p', {class: 'muted small'}, '* = required fields.'),
    err,
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', class: 'primary', testid: 'dest-save'}, 'Confirm'),
      h('button', {type: 'button', testid: 'dest-cancel', onclick: onCancel}, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const m = method.value;
    const body = {
      name: name.value.trim(), method: m, host: host.value.trim(),
      format: format.value, customTags: tags.value, filter,
      enabled: enabled.checked, tlsVerify: tlsVerify.checked, tlsCaFile: tlsCa.value.trim(),
    };
    if (takesSetting(m, 'port') && port.value !== '') body.port = Number(port.value);
    // Sent whatever the method, hidden or not, so an edit keeps the stored value (the API accepts
    // it for every method; the XML socket methods do not read it).
    if (replyTimeout.value !== '') body.replyTimeoutMs = Number(replyTimeout.value);
    showErrors(form, null);
    try {
      const saved = dest ? await put(`/api/v1/destinations/${dest.id}`, body) : await post('/api/v1/destinations', body);
      flash(`Destination ${saved && saved.name ? saved.name : body.name} saved.`);
      onSaved();
    } catch (e) {
      if (e.status !== 401) showErrors(form, e);
    }
  });
  return form;
}
