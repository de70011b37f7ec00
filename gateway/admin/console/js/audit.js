// The audit log, newest first, with each change's before and after.
import {state} from './state.js';
import {h, append, clear, jsonBlock} from './dom.js';
import {timeEl} from './format.js';
import {get, query} from './api.js';
import {flashError} from './ui.js';

export async function viewAudit(root, seq) {
  const tbody = h('tbody');
  const cursors = [];
  let before = null;
  let next = null;
  const info = h('span', {class: 'muted small', testid: 'audit-page'});
  const newer = h('button', {type: 'button', testid: 'audit-newer', onclick: () => { before = cursors.pop() ?? null; load(); }}, 'Newer');
  const older = h('button', {type: 'button', testid: 'audit-older', onclick: () => { cursors.push(before); before = next; load(); }}, 'Older');
  const newest = h('button', {type: 'button', testid: 'audit-newest', onclick: () => { cursors.length = 0; before = null; load(); }}, 'Newest');
  const load = async () => {
    let data;
    try { data = await get(`/api/v1/audit${query({before: before ?? '', limit: 100})}`); }
    catch (e) { if (e.status !== 401) flashError(e, 'Cannot load the audit log'); return; }
    if (seq !== state.viewSeq) return;
    next = data.next ?? null;
    const entries = data.entries || [];
    clear(tbody);
    if (!entries.length) append(tbody, h('tr', null, h('td', {colspan: 6, class: 'muted'}, 'Nothing recorded yet.')));
    for (const a of entries) {
      const hasChange = (a.before !== null && a.before !== undefined) || (a.after !== null && a.after !== undefined);
      const side = (label, v) => h('div', null, h('h4', null, label),
        v === null || v === undefined ? h('p', {class: 'muted'}, '(none)') : jsonBlock(v));
      let diffRow = null;
      const toggle = h('button', {type: 'button', class: 'link', testid: 'audit-change', onclick: () => {
        if (diffRow) { diffRow.remove(); diffRow = null; toggle.textContent = 'before / after'; return; }
        diffRow = h('tr', {class: 'audit-diff', testid: 'audit-diff'}, h('td', {colspan: 6},
          h('div', {class: 'diff'}, side('Before', a.before), side('After', a.after))));
        tr.after(diffRow);
        toggle.textContent = 'hide';
      }}, 'before / after');
      const tr = h('tr', {testid: 'audit-row', dataset: {id: a.id, action: a.action}},
        h('td', null, timeEl(a.at)),
        h('td', null, a.actor || ''),
        h('td', null, a.role || ''),
        h('td', {class: 'mono', testid: 'audit-action'}, a.action || ''),
        h('td', {testid: 'audit-target', class: 'nowrap'}, a.target || ''),
        h('td', null, hasChange ? toggle : ''));
      tbody.append(tr);
    }
    newer.disabled = cursors.length === 0;
    newest.disabled = cursors.length === 0;
    older.disabled = next === null;
    info.textContent = `page ${cursors.length + 1}`;
  };
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Audit log'),
      h('button', {type: 'button', testid: 'audit-refresh', onclick: () => load()}, 'Refresh')),
    h('p', {class: 'muted'}, 'Every change of configuration and every admin action, newest first.'),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', testid: 'audit-table'},
      h('thead', null, h('tr', null, ['When', 'Who', 'Role', 'Action', 'Target', 'Change'].map((t) => h('th', null, t)))),
      tbody)),
    h('div', {class: 'pager'}, newest, newer, older, info));
  await load();
}
