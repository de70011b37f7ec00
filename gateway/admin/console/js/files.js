// Tachograph files (schema/files.md): a device's uploaded files with a download of each, and the
// Compliance page (vehicle units and driver cards due or overdue for download).
import {state} from './state.js';
import {h, append} from './dom.js';
import {timeEl} from './format.js';
import {get} from './api.js';
import {flash} from './ui.js';

const KIND = {driverCard: 'Driver card', workshopCard: 'Workshop card', controlCard: 'Control card',
  companyCard: 'Company card', vehicleUnit: 'Vehicle unit', unknown: 'Unknown'};

// The content needs the bearer token, so it is fetched and handed to the browser as a blob.
async function download(file) {
  const res = await fetch(`/api/v1/files/${file.id}/content`,
    {headers: {Authorization: `Bearer ${state.token}`}});
  if (!res.ok) {
    flash(`File ${file.id} could not be downloaded (HTTP ${res.status}).`);
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', {href: url, download: file.name});
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function filesSection(serial) {
  const d = await get(`/api/v1/devices/${encodeURIComponent(serial)}/files`);
  const rows = d.files || [];
  if (rows.length === 0) return h('p', {class: 'muted', testid: 'dev-files-empty'}, 'No tachograph file uploaded yet.');
  return h('table', {class: 'grid', testid: 'dev-files'},
    h('thead', null, h('tr', null, ['Id', 'Name', 'Kind', 'Downloaded', 'Size', 'Summary', ''].map((x) => h('th', null, x)))),
    h('tbody', null, rows.map((f) => h('tr', {testid: 'dev-file-row', dataset: {id: String(f.id)}},
      h('td', null, String(f.id)), h('td', {testid: 'dev-file-name'}, f.name),
      h('td', null, `${KIND[f.kind] || f.kind} (${f.generation})`), h('td', null, timeEl(f.downloadedAt)),
      h('td', null, `${f.size} bytes`),
      h('td', {class: f.error ? 'muted' : ''}, f.error ? `none: ${f.error}` : (f.warningCount ? `${f.warningCount} warnings` : 'read')),
      h('td', null, h('button', {type: 'button', class: 'link', testid: 'dev-file-download',
        onclick: () => download(f)}, 'Download'))))));
}

export async function viewCompliance(root, seq) {
  const [c, l] = await Promise.all([get('/api/v1/compliance'), get('/api/v1/locations')]);
  if (seq !== state.viewSeq) return;
  const locName = Object.fromEntries((l.locations || []).map((x) => [x.id, x.name]));
  const items = c.items || [];
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Download compliance')),
    h('p', {class: 'muted'}, 'Each vehicle unit and driver card the gateway has a file of, due its location\'s period after its last download (90 and 28 days unless the location says otherwise); most urgent first. "Never": a device with no vehicle-unit file yet.'),
    items.length === 0 ? h('p', {testid: 'compliance-empty'}, 'No device and no file yet.') :
      h('table', {class: 'grid', testid: 'compliance-table'},
        h('thead', null, h('tr', null, ['Status', 'Kind', 'VIN / card', 'Device', 'Location', 'Last download', 'Due', 'Driver / registration'].map((x) => h('th', null, x)))),
        h('tbody', null, items.map((x) => h('tr', {testid: 'compliance-row', dataset: {status: x.status}},
          h('td', null, h('span', {class: `badge ${x.status === 'ok' ? '' : 'warn'}`}, x.status)),
          h('td', null, KIND[x.kind] || x.kind), h('td', null, x.subject || '-'),
          h('td', null, h('a', {href: `#/devices/${encodeURIComponent(x.serial)}`}, x.serial)),
          h('td', null, x.locationId === null ? '-' : (locName[x.locationId] || `#${x.locationId}`)),
          h('td', null, x.lastDownload ? timeEl(x.lastDownload) : 'never'), h('td', null, timeEl(x.due)),
          h('td', null, x.kind === 'driverCard' ? `${x.surname} ${x.firstNames}` : x.registration))))));
}
