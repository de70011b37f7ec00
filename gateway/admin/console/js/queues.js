// The delivery queues (GET /api/v1/queues): the dashboard and one queue with its entries and
// actions.
import {state, adminOnly} from './state.js';
import {h, append, clear, jsonBlock} from './dom.js';
import {fmtTime, fmtTimeShort, timeEl, fmtDuration, fmtType, stateBadge, retryEl} from './format.js';
import {get, post, query, methodLabel} from './api.js';
import {flash, flashError, ask, confirmAction} from './ui.js';
import {poll, POLL_MS} from './router.js';
import {historySection} from './charts.js';

export const COUNTERS = [
  ['queued', 'Queued', 'queue-queued'],
  ['delivered', 'Delivered', 'queue-delivered'],
  ['failedAttempts', 'Failed attempts', 'queue-failed-attempts'],
  ['deadLetters', 'Dead letters', 'queue-dead'],
  ['filtered', 'Filtered out', 'queue-filtered'],
];

export function queueRow(q) {
  const c = q.counters || {};
  return h('tr', {testid: 'queue-row', dataset: {id: q.destinationId, name: q.name, state: q.state},
    class: `row-${q.state}`},
    h('td', null, h('a', {href: `#/queues/${q.destinationId}`, testid: 'queue-open'}, q.name),
      h('div', {class: 'muted small'}, methodLabel(q.method))),
    h('td', null, stateBadge(q, 'queue-state')),
    h('td', {class: 'num', testid: 'queue-depth'}, q.depth ?? 0),
    h('td', {class: 'num', testid: 'queue-oldest'},
      q.oldestPendingAgeSeconds === null || q.oldestPendingAgeSeconds === undefined
        ? '-' : fmtDuration(q.oldestPendingAgeSeconds)),
    h('td', {class: 'error-text', testid: 'queue-last-error'},
      q.lastError ? [q.lastError, h('div', {class: 'muted small'}, q.lastErrorAt ? `at ${fmtTimeShort(q.lastErrorAt)}` : '')] : ''),
    h('td', {testid: 'queue-next-retry'}, retryEl(q.nextRetryAt)),
    h('td', {class: 'num', testid: 'queue-failures'}, q.consecutiveFailures ?? 0),
    COUNTERS.map(([k, , testid]) => h('td', {class: 'num', testid}, c[k] ?? 0)));
}

export async function viewQueues(root, seq) {
  const updated = h('span', {class: 'muted small', testid: 'queues-updated'});
  const tbody = h('tbody');
  const table = h('table', {class: 'grid', testid: 'queues-table'},
    h('thead', null, h('tr', null,
      [['Destination'], ['State'], ['Depth', 'pending entries'], ['Oldest pending', 'age of the oldest pending entry'],
        ['Last error'], ['Next retry'], ['Failures', 'consecutive failed attempts'],
        ...COUNTERS.map(([, label]) => [label])].map(([t, title]) => h('th', {title: title || null}, t)))),
    tbody);
  const history = historySection();
  const room = h('p', {class: 'muted', testid: 'store-room'});
  append(root,
    h('div', {class: 'title'}, h('h1', null, 'Delivery queues'), updated),
    h('p', {class: 'muted'}, 'One row per destination, refreshed every 2 seconds. Open one to see its entries.'),
    room,
    h('div', {class: 'scroll'}, table),
    history.el);
  poll(seq, async () => {
    let data;
    try {
      data = await get('/api/v1/queues');
    } catch (e) {
      if (seq === state.viewSeq) { updated.textContent = `refresh failed: ${e.message}`; updated.classList.add('error'); }
      throw e;
    }
    if (seq !== state.viewSeq) return;
    const queues = data.queues || [];
    clear(tbody);
    if (!queues.length) {
      append(tbody, h('tr', null, h('td', {colspan: 7 + COUNTERS.length, class: 'muted'},
        'No destinations yet. Add one under Destinations.')));
    }
    for (const q of queues) tbody.append(queueRow(q));
    try {
      renderRoom(room, await get('/api/v1/store'));
    } catch (e) {
      room.textContent = `store size unknown: ${e.message}`;
    }
    updated.classList.remove('error');
    updated.textContent = `updated ${fmtTime(new Date().toISOString())}`;
    await history.refresh();
  });
}

// The store's room (GET /api/v1/store): its size, per packet, against store.maxBytes; full in red.
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
function renderRoom(el, s) {
  const parts = [`Store: ${mib(s.usedBytes)} in use`];
  if (s.packets > 0) parts.push(`${s.bytesPerPacket} bytes per packet (${s.packets} packets)`);
  if (s.maxBytes > 0) parts.push(`${Math.floor(s.usedBytes * 100 / s.maxBytes)}% of store.maxBytes ${mib(s.maxBytes)}`);
  if (s.walBytes > 0) parts.push(`write-ahead log ${mib(s.walBytes)}`);
  if (s.freeDiskBytes !== null) parts.push(`${mib(s.freeDiskBytes)} free on disk`);
  if (s.prunedRows > 0) parts.push(`${s.prunedRows} delivered rows pruned to make room`);
  el.textContent = parts.join(', ') + '.';
  el.classList.toggle('error-text', s.full);
  el.classList.toggle('muted', !s.full);
  if (s.full) el.textContent += ` FULL: ${s.fullReason}`;
}

// ---------------------------------------------------------------- one queue

// The attempts, oldest first; a long history shows its last `limit` until asked for all.
export function historyTable(history, testid, limit = 10) {
  if (!history || !history.length) return h('p', {class: 'muted', testid}, 'No attempts yet.');
  if (history.length > limit) {
    const box = h('div');
    const more = h('button', {type: 'button', class: 'link', testid: `${testid}-all`, onclick: () => {
      clear(box).append(historyTable(history, testid, Infinity));
    }}, `show all ${history.length} attempts`);
    return append(box, h('p', {class: 'muted small'}, `${history.length - limit} earlier attempts not shown - `, more),
      historyTable(history.slice(-limit), testid, Infinity));
  }
  return h('table', {class: 'grid compact', testid},
    h('thead', null, h('tr', null, ['At', 'Outcome', 'Reason', 'Duration'].map((t) => h('th', null, t)))),
    h('tbody', null, history.map((a) => h('tr', {class: `outcome-${a.outcome}`},
      h('td', null, timeEl(a.at)),
      h('td', null, h('span', {class: `badge outcome-${a.outcome}`}, a.outcome)),
      h('td', {class: 'wrap'}, a.reason || ''),
      h('td', {class: 'num'}, a.durationUs === undefined || a.durationUs === null ? ''
        : `${(a.durationUs / 1000).toFixed(1)} ms`)))));
}

export function packetName(entry) {
  const p = entry.packet;
  const name = p && typeof p === 'object' && p.name ? p.name : (entry.filterKey || '');
  return `${fmtType(entry.type)} ${name}`.trim();
}

export function entryDetail(entry, testid = 'entry-detail') {
  return h('div', {class: 'entry-detail', testid, dataset: {id: entry.id}},
    h('dl', {class: 'facts'},
      h('dt', null, 'Entry'), h('dd', {testid: 'entry-id'}, `#${entry.id} (packet ${entry.packetId})`),
      h('dt', null, 'State'), h('dd', null, h('span', {class: `badge entry-${entry.state}`, testid: 'entry-state'}, entry.state)),
      h('dt', null, 'Device'), h('dd', null, `${entry.serial || ''} ${entry.registration ? `(${entry.registration})` : ''}`),
      h('dt', null, 'Packet'), h('dd', null, packetName(entry)),
      h('dt', null, 'Received'), h('dd', null, timeEl(entry.receivedAt)),
      h('dt', null, 'Attempts'), h('dd', null, entry.attempts ?? 0),
      entry.finishedAt ? [h('dt', null, 'Finished'), h('dd', null, timeEl(entry.finishedAt))] : null,
      entry.reason ? [h('dt', null, 'Dead-letter reason'), h('dd', {class: 'error-text', testid: 'entry-reason'}, entry.reason)] : null),
    h('h3', null, 'Attempt history'),
    historyTable(entry.history, 'entry-history'),
    h('h3', null, 'Decoded packet'),
    entry.packet !== undefined ? jsonBlock(entry.packet, 'entry-packet') : h('p', {class: 'muted'}, 'Open the entry to see it.'),
    entry.data ? h('details', null, h('summary', null, 'Raw bytes (hex)'),
      h('pre', {class: 'json wrap', testid: 'entry-data'}, entry.data)) : null,
    // The raw record the gateway made the packet from (a Teltonika AVL record), kept with it.
    entry.origin ? h('details', {testid: 'entry-origin'},
      h('summary', null, `Made from a ${entry.origin.protocol === 'teltonika' ? 'Teltonika' : entry.origin.protocol} record (${entry.origin.codec})`),
      h('pre', {class: 'json wrap', testid: 'entry-origin-hex'}, entry.origin.hex)) : null);
}

export async function viewQueue(root, seq, id) {
  const summary = h('div', {testid: 'queue-summary'});
  const blocking = h('div', {testid: 'queue-blocking-section'});
  const title = h('h1', {testid: 'queue-title'}, `Queue ${id}`);
  let current = null;
  let lastJson = '';

  const history = historySection({destinationId: Number(id), testid: 'queue-detail-charts'});
  const refresh = async () => {
    const q = await get(`/api/v1/queues/${id}`);
    if (seq !== state.viewSeq) return;
    history.refresh().catch(() => { /* the charts keep their last drawing */ });
    current = q;
    const json = JSON.stringify({...q, oldestPendingAgeSeconds: null});
    title.textContent = `${q.name} `;
    title.append(h('span', {class: 'muted'}, methodLabel(q.method)));
    drawSummary(q);
    if (json !== lastJson) drawBlocking(q);
    lastJson = json;
  };

  const drawSummary = (q) => {
    const c = q.counters || {};
    clear(summary);
    append(summary, h('div', {class: 'facts wide', testid: 'queue-detail', dataset: {state: q.state}},
      h('p', {class: 'state-line'}, 'State ', stateBadge(q, 'queue-detail-state')),
      h('dl', {class: 'facts wide'},
      h('dt', null, 'Depth'), h('dd', {testid: 'queue-detail-depth'}, q.depth ?? 0),
      h('dt', null, 'Oldest pending'), h('dd', null, q.oldestPendingAt
        ? [timeEl(q.oldestPendingAt), ` (${fmtDuration(q.oldestPendingAgeSeconds)} ago)`] : '-'),
      h('dt', null, 'Consecutive failures'), h('dd', {testid: 'queue-detail-failures'}, q.consecutiveFailures ?? 0),
      h('dt', null, 'Next retry'), h('dd', null, q.nextRetryAt ? [timeEl(q.nextRetryAt), ' (', retryEl(q.nextRetryAt), ')'] : '-'),
      h('dt', null, 'Last error'), h('dd', {class: 'error-text', testid: 'queue-detail-last-error'},
        q.lastError ? [q.lastError, ' ', h('span', {class: 'muted small'}, fmtTime(q.lastErrorAt))] : '-'),
      COUNTERS.map(([k, label, testid]) => [h('dt', null, label), h('dd', {testid: `${testid}-detail`}, c[k] ?? 0)]))));
  };

  const drawBlocking = (q) => {
    const wasOpen = blocking.querySelector('details[open]') !== null;
    clear(blocking);
    append(blocking, h('h2', null, 'Blocking entry'));
    const b = q.blocking;
    if (!b) {
      append(blocking, h('p', {class: 'muted', testid: 'queue-blocking-none'},
        'Nothing pending: the queue is empty.'));
      return;
    }
    const hist = b.history || [];
    const lastFail = [...hist].reverse().find((a) => a.outcome !== 'delivered');
    const err = (lastFail && lastFail.reason) || q.lastError || '';
    append(blocking, h('div', {class: 'blocking card', testid: 'queue-blocking', dataset: {id: b.id}},
      h('p', null, h('strong', null, `Entry #${b.id}`), ` - ${packetName(b)} from ${b.serial || '?'}, received `,
        timeEl(b.receivedAt), `, ${b.attempts ?? 0} attempt(s).`),
      err ? h('p', {class: 'error-text', testid: 'queue-blocking-error'}, `Last error: ${err}`)
        : h('p', {class: 'muted', testid: 'queue-blocking-error'}, 'Not tried yet.'),
      historyTable(hist, 'queue-blocking-history'),
      h('details', {open: wasOpen}, h('summary', null, 'Decoded packet'),
        b.packet !== undefined ? jsonBlock(b.packet, 'queue-blocking-packet') : h('p', {class: 'muted'}, 'No decoded packet.'))));
  };

  const act = async (what, fn) => {
    try {
      const r = await fn();
      if (seq !== state.viewSeq) return;
      flash(what(r));
      await refresh();
      await loadEntries(false);
    } catch (e) {
      if (e.status !== 401) flashError(e, 'Failed');
    }
  };

  const replayFrom = h('input', {type: 'datetime-local', step: 1, testid: 'replay-from'});
  const actions = adminOnly(() => h('div', {class: 'actions card', testid: 'queue-actions'},
    h('button', {type: 'button', testid: 'queue-retry', onclick: () =>
      act(() => 'Retrying now.', () => post(`/api/v1/queues/${id}/retry`))}, 'Retry now'),
    h('button', {type: 'button', testid: 'queue-pause', onclick: () =>
      act(() => 'Paused: packets keep being queued.', () => post(`/api/v1/queues/${id}/pause`))}, 'Pause'),
    h('button', {type: 'button', testid: 'queue-resume', onclick: () =>
      act(() => 'Resumed.', () => post(`/api/v1/queues/${id}/resume`))}, 'Resume'),
    h('button', {type: 'button', class: 'danger', testid: 'queue-skip', onclick: async () => {
      const b = current && current.blocking;
      const reason = await ask({
        title: 'Skip the blocking entry',
        message: b ? `Entry #${b.id} (${packetName(b)}) becomes a dead letter and the queue goes on. ` +
          'It can be put back later with "Requeue dead letters".' : 'The oldest pending entry becomes a dead letter.',
        input: {label: 'Reason', required: true, placeholder: 'why it is skipped (kept in the audit log)'},
        okLabel: 'Skip entry', danger: true, prefix: 'skip',
      });
      if (reason) act((r) => `Entry #${r && r.skipped} skipped: it is a dead letter now.`,
        () => post(`/api/v1/queues/${id}/skip`, {reason}));
    }}, 'Skip blocking entry'),
    h('button', {type: 'button', testid: 'queue-requeue-dead', onclick: async () => {
      if (await confirmAction('Requeue dead letters', 'Every dead letter of this queue goes back in the queue, in its original order.', 'Requeue', false)) {
        act((r) => `${r && r.requeued} dead letter(s) requeued.`, () => post(`/api/v1/queues/${id}/requeue-dead`));
      }
    }}, 'Requeue dead letters'),
    h('span', {class: 'replay'},
      h('label', null, 'Replay delivered entries received from ', replayFrom),
      h('button', {type: 'button', testid: 'queue-replay', onclick: async () => {
        if (!replayFrom.value) { flash('Choose the time to replay from.', 'error'); replayFrom.focus(); return; }
        const from = new Date(replayFrom.value).toISOString();
        if (await confirmAction('Replay', `Every delivered entry received at or after ${fmtTime(from)} is sent again.`, 'Replay', false)) {
          act((r) => `${r && r.replayed} entries replayed.`, () => post(`/api/v1/queues/${id}/replay`, {from}));
        }
      }}, 'Replay'))));

  // Entries with filters and cursor paging.
  const f = {
    state: h('select', {testid: 'entries-filter-state'},
      h('option', {value: ''}, 'any'), ['pending', 'delivered', 'dead'].map((s) => h('option', {value: s}, s))),
    type: h('input', {testid: 'entries-filter-type', placeholder: '0x47 or 71', size: 8}),
    device: h('input', {testid: 'entries-filter-device', placeholder: 'serial', size: 10}),
    from: h('input', {type: 'datetime-local', step: 1, testid: 'entries-filter-from'}),
    to: h('input', {type: 'datetime-local', step: 1, testid: 'entries-filter-to'}),
  };
  const pageInfo = h('span', {class: 'muted small', testid: 'entries-page'});
  const entriesBody = h('tbody');
  const detail = h('div', {testid: 'entry-detail-section'});
  const cursors = []; // `after` of each page shown before the current one
  let after = null;
  let next = null;
  const prevBtn = h('button', {type: 'button', testid: 'entries-prev', onclick: () => {
    after = cursors.pop() ?? null; loadEntries(false);
  }}, 'Previous page');
  const nextBtn = h('button', {type: 'button', testid: 'entries-next', onclick: () => {
    cursors.push(after); after = next; loadEntries(false);
  }}, 'Next page');

  const loadEntries = async (reset) => {
    if (reset) { cursors.length = 0; after = null; }
    const iso = (v) => (v ? new Date(v).toISOString() : '');
    let data;
    try {
      data = await get(`/api/v1/queues/${id}/entries${query({
        state: f.state.value, type: f.type.value.trim(), device: f.device.value.trim(),
        from: iso(f.from.value), to: iso(f.to.value), after: after ?? '', limit: 50,
      })}`);
    } catch (e) {
      if (e.status === 400) flash(`Filter not accepted: ${e.message}${(e.fields || []).map((x) => `; ${x.field}: ${x.reason}`).join('')}`, 'error');
      else if (e.status !== 401) flashError(e, 'Cannot load entries');
      return;
    }
    if (seq !== state.viewSeq) return;
    next = data.next ?? null;
    const entries = data.entries || [];
    clear(entriesBody);
    if (!entries.length) append(entriesBody, h('tr', null, h('td', {colspan: 9, class: 'muted'}, 'No entries match.')));
    for (const e of entries) {
      entriesBody.append(h('tr', {testid: 'entry-row', class: `clickable entry-${e.state}`, dataset: {id: e.id, state: e.state},
        tabindex: 0, onclick: () => openEntry(e.id), onkeydown: (ev) => { if (ev.key === 'Enter') openEntry(e.id); }},
      h('td', {class: 'num'}, e.id),
      h('td', null, timeEl(e.receivedAt)),
      h('td', null, e.serial || ''),
      h('td', null, fmtType(e.type)),
      h('td', null, e.filterKey || ''),
      h('td', null, h('span', {class: `badge entry-${e.state}`}, e.state)),
      h('td', {class: 'num'}, e.attempts ?? 0),
      h('td', null, timeEl(e.finishedAt)),
      h('td', {class: 'wrap error-text'}, e.reason || '')));
    }
    prevBtn.disabled = cursors.length === 0;
    nextBtn.disabled = next === null;
    pageInfo.textContent = `page ${cursors.length + 1}, ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`;
  };

  const openEntry = async (entryId) => {
    try {
      const e = await get(`/api/v1/queues/${id}/entries/${entryId}`);
      if (seq !== state.viewSeq) return;
      clear(detail);
      append(detail, h('h2', null, `Entry #${entryId}`), entryDetail(e));
      for (const tr of entriesBody.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.id === String(entryId));
      detail.scrollIntoView({block: 'nearest'});
    } catch (e) {
      if (e.status !== 401) flashError(e, `Cannot load entry ${entryId}`);
    }
  };

  append(root,
    h('p', null, h('a', {href: '#/queues', testid: 'queue-back'}, '< All queues')),
    h('div', {class: 'title'}, title),
    summary,
    history.el,
    actions,
    blocking,
    h('h2', null, 'Entries'),
    h('form', {class: 'filters', testid: 'entries-filters', onsubmit: (ev) => { ev.preventDefault(); loadEntries(true); }},
      h('label', null, 'State ', f.state),
      h('label', null, 'Packet type ', f.type),
      h('label', null, 'Device ', f.device),
      h('label', null, 'Received from ', f.from),
      h('label', null, 'to ', f.to),
      h('button', {type: 'submit', class: 'primary', testid: 'entries-apply'}, 'Show'),
      h('button', {type: 'button', testid: 'entries-reset', onclick: () => {
        for (const el of Object.values(f)) el.value = '';
        loadEntries(true);
      }}, 'Clear')),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', testid: 'entries-table'},
      h('thead', null, h('tr', null, ['Id', 'Received', 'Device', 'Type', 'Filter key', 'State', 'Attempts', 'Finished', 'Reason']
        .map((t) => h('th', null, t)))),
      entriesBody)),
    h('div', {class: 'pager'}, prevBtn, nextBtn, pageInfo),
    detail);

  await refresh();
  await loadEntries(true);
  // The summary and blocking entry follow the queue live; the entry list reloads on demand.
  state.pollTimer = setTimeout(() => poll(seq, refresh), POLL_MS);
}
