// The dcgw web console: a single page that uses only the admin API (schema/openapi.yaml).
'use strict';

(() => {
  const TOKEN_KEY = 'dcgw.token';
  const POLL_MS = 2000;
  const METHODS = [
    ['rest', 'REST'],
    ['soap', 'SOAP'],
    ['xml-tcp', 'XML over TCP'],
    ['xml-udp', 'XML over UDP'],
    ['binary', 'Binary Mode'],
  ];
  const METHOD_NAMES = Object.fromEntries(METHODS);
  const PORT_METHODS = new Set(['xml-tcp', 'xml-udp', 'binary']);
  const TLS_METHODS = new Set(['rest', 'soap']);
  // Seed 004 figures 1-4: what each method expects in Host Name and Custom Tags.
  const HOST_HINT = {
    rest: ['http://www.sample.com/api/datapacket', 'The URL, with http:// or https://.'],
    soap: ['http://www.sample.com/datapacket/service.asmx', 'The URL, with http:// or https://.'],
    'xml-tcp': ['www.sample.com', 'A host name or address.'],
    'xml-udp': ['www.sample.com', 'A host name or address.'],
    binary: ['www.sample.com', 'A host name or address.'],
  };
  const TAGS_HINT = {
    rest: ['accountID:"123456"', 'key:"value" pairs; may be left blank.'],
    soap: ['<accountID>123456</accountID>', 'An XML fragment; may be left blank.'],
    'xml-tcp': ['<accountID>123456</accountID>', 'An XML fragment; may be left blank.'],
    'xml-udp': ['<accountID>123456</accountID>', 'An XML fragment; may be left blank.'],
    binary: ['123456', 'Up to 255 ASCII characters; may be left blank.'],
  };

  const state = {
    token: null,
    me: null,
    filterKeys: null,
    pollTimer: null,
    viewSeq: 0, // bumped on every navigation so stale async work does not draw
  };

  const $ = (sel, root = document) => root.querySelector(sel);
  const isAdmin = () => state.me && state.me.role === 'admin';

  // ---------------------------------------------------------------- DOM helpers

  // h('button', {class: 'x', testid: 'y', onclick: f}, 'text', child...): text is never parsed as HTML.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    let value;
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'testid') el.setAttribute('data-testid', v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' ||
               k === 'required' || k === 'multiple' || k === 'open') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, kids);
    if (value !== undefined) el.value = value;
    return el;
  }
  function append(el, ...kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  // Only for the admin role: auditors never get these controls in the page at all.
  const adminOnly = (fn) => (isAdmin() ? fn() : null);

  // ---------------------------------------------------------------- formatting

  function fmtTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
      `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }
  // Today's times as HH:MM:SS, older ones with their date.
  function fmtTimeShort(iso) {
    const full = fmtTime(iso);
    return full.slice(0, 10) === fmtTime(new Date().toISOString()).slice(0, 10) ? full.slice(11) : full;
  }
  function timeEl(iso) {
    if (!iso) return h('span', {class: 'muted'}, '-');
    return h('time', {datetime: iso, title: iso}, fmtTime(iso));
  }
  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '-';
    let s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    s %= 60;
    if (m < 60) return s ? `${m} min ${s} s` : `${m} min`;
    const hr = Math.floor(m / 60);
    if (hr < 48) return `${hr} h ${m % 60} min`;
    return `${Math.floor(hr / 24)} d ${hr % 24} h`;
  }
  function secondsUntil(iso) {
    return (new Date(iso).getTime() - Date.now()) / 1000;
  }
  function fmtType(type) {
    if (type === null || type === undefined) return '';
    return '0x' + Number(type).toString(16).toUpperCase().padStart(2, '0');
  }
  function filterSummary(filter) {
    if (filter === null || filter === undefined) return 'All packets';
    if (filter.length === 0) return 'None';
    return filter.length <= 2 ? filter.join(', ') : `${filter.length} packet kinds`;
  }
  function queueStateText(q) {
    switch (q.state) {
      case 'backing-off': {
        if (!q.nextRetryAt) return 'backing off';
        const left = secondsUntil(q.nextRetryAt);
        return `backing off until ${fmtTimeShort(q.nextRetryAt)}` + (left > 0 ? '' : ' (due)');
      }
      default:
        return q.state || 'unknown';
    }
  }
  function stateBadge(q, testid) {
    return h('span', {class: `badge state-${q.state}`, testid, dataset: {state: q.state || ''},
      title: q.nextRetryAt && q.state === 'backing-off' ? `next attempt at ${q.nextRetryAt}` : null},
    queueStateText(q));
  }
  function retryEl(iso) {
    if (!iso) return h('span', {class: 'muted'}, '-');
    const left = secondsUntil(iso);
    return h('time', {datetime: iso, title: iso}, left >= 1 ? `in ${fmtDuration(left)}` : left > 0 ? 'in <1 s' : 'due now');
  }
  function jsonBlock(value, testid) {
    return h('pre', {class: 'json', testid}, JSON.stringify(value, null, 2));
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, message, fields) {
      super(message);
      this.status = status;
      this.fields = fields || [];
    }
  }

  async function api(method, path, body) {
    const opts = {method, headers: {Authorization: `Bearer ${state.token}`}};
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new ApiError(0, `the gateway cannot be reached (${e.message})`);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = text; }
    }
    if (res.status === 401 && path !== '/api/v1/me') {
      signOut('The token is no longer accepted; sign in again.');
      throw new ApiError(401, 'not signed in');
    }
    if (!res.ok) {
      const msg = (data && typeof data === 'object' && data.error) ||
        (typeof data === 'string' && data) || `HTTP ${res.status}`;
      throw new ApiError(res.status, msg, data && data.fields);
    }
    return data;
  }
  const get = (path) => api('GET', path);
  const post = (path, body) => api('POST', path, body);
  const put = (path, body) => api('PUT', path, body);
  const del = (path) => api('DELETE', path);
  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  };

  // ---------------------------------------------------------------- flash and dialogs

  let flashTimer = null;
  function flash(message, kind = 'ok') {
    const el = $('#flash');
    el.textContent = message;
    el.className = `flash ${kind}`;
    el.dataset.kind = kind;
    el.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 12000 : 6000);
  }
  function flashError(e, what) {
    flash(`${what}: ${e.message}`, 'error');
  }

  // A modal with an optional text input; resolves to the input's value (or true) or null.
  function ask({title, message, input, okLabel = 'OK', danger = false, prefix = 'dialog'}) {
    const dlg = $('#dialog');
    clear(dlg);
    return new Promise((resolve) => {
      let field = null;
      const err = h('p', {class: 'error', hidden: true});
      const done = (v) => { dlg.close(); resolve(v); };
      const form = h('form', {method: 'dialog', testid: `${prefix}-dialog`},
        h('h2', null, title),
        message ? h('p', null, message) : null,
        input ? h('label', null, input.label,
          field = h(input.multiline ? 'textarea' : 'input', {
            testid: `${prefix}-input`, type: input.type || 'text', value: input.value || '',
            placeholder: input.placeholder || '', rows: input.multiline ? 3 : null,
          })) : null,
        err,
        h('div', {class: 'buttons'},
          h('button', {type: 'button', testid: `${prefix}-cancel`, onclick: () => done(null)}, 'Cancel'),
          h('button', {type: 'submit', class: danger ? 'danger' : 'primary', testid: `${prefix}-ok`}, okLabel)));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (field) {
          const v = field.value.trim();
          if (input.required && !v) {
            err.textContent = `${input.label} is required.`;
            err.hidden = false;
            field.focus();
            return;
          }
          done(v);
        } else {
          done(true);
        }
      });
      dlg.append(form);
      dlg.onclose = () => resolve(null); // Escape key
      dlg.showModal();
      (field || form.querySelector('button[type=submit]')).focus();
    });
  }
  const confirmAction = (title, message, okLabel, danger = true) =>
    ask({title, message, okLabel, danger, prefix: 'confirm'});

  // A secret (device key, token) shown once with a copy button.
  function showSecretOnce(title, message, secret) {
    const dlg = $('#dialog');
    clear(dlg);
    const value = h('input', {readonly: true, value: secret, testid: 'key-once-value', class: 'secret'});
    const copied = h('span', {class: 'muted'});
    dlg.append(h('div', {testid: 'key-once'},
      h('h2', null, title),
      h('p', null, message),
      value,
      h('div', {class: 'buttons'},
        copied,
        h('button', {type: 'button', testid: 'key-once-copy', onclick: async () => {
          value.select();
          try { await navigator.clipboard.writeText(secret); copied.textContent = 'copied'; }
          catch { document.execCommand('copy'); copied.textContent = 'copied'; }
        }}, 'Copy'),
        h('button', {type: 'button', class: 'primary', testid: 'key-once-close',
          onclick: () => dlg.close()}, 'I have stored it'))));
    dlg.onclose = null;
    dlg.showModal();
    value.select();
  }

  // ---------------------------------------------------------------- forms

  let fieldSeq = 0;
  // A labelled field with a place for the server's 400 reason about it.
  function field(label, control, name, {required = false, hint = null} = {}) {
    const err = h('span', {class: 'field-error', testid: `field-error-${name}`, hidden: true});
    const hintEl = h('span', {class: 'hint'}, hint || '');
    let forId = null;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(control.tagName)) {
      forId = control.id || `f-${name}-${++fieldSeq}`;
      control.id = forId;
    }
    const row = h('div', {class: 'field', dataset: {field: name}},
      h('label', {for: forId}, label, required ? h('span', {class: 'req', title: 'required'}, ' *') : null),
      h('div', {class: 'control'}, control, hintEl, err));
    row.err = err;
    row.hint = hintEl;
    return row;
  }
  // Shows `fields` of a 400 next to each field; ones without a field go to the form's error.
  function showErrors(form, e) {
    for (const el of form.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
    const general = form.querySelector('.form-error');
    general.hidden = true;
    clear(general);
    if (!e) return;
    const unplaced = [];
    for (const f of e.fields || []) {
      const base = String(f.field || '').split(/[.[]/)[0];
      const el = form.querySelector(`.field-error[data-testid="field-error-${CSS.escape(base)}"]`);
      if (el) {
        el.textContent = el.textContent ? `${el.textContent}; ${f.reason}` : (f.field !== base ? `${f.field}: ${f.reason}` : f.reason);
        el.hidden = false;
      } else {
        unplaced.push(`${f.field}: ${f.reason}`);
      }
    }
    append(general, e.message, unplaced.length ? h('ul', null, unplaced.map((u) => h('li', null, u))) : null);
    general.hidden = false;
  }
  const formError = () => h('div', {class: 'error form-error', testid: 'form-error', hidden: true});

  // ---------------------------------------------------------------- sign in / out

  function showSignin(message) {
    stopPolling();
    $('#nav').hidden = true;
    $('#who').hidden = true;
    clear($('#view'));
    $('#signin').hidden = false;
    const err = $('[data-testid="signin-error"]');
    err.textContent = message || '';
    err.hidden = !message;
    $('#signin-token').value = '';
    $('#signin-token').focus();
  }

  async function signIn(token) {
    state.token = token;
    let me;
    try {
      me = await api('GET', '/api/v1/me');
    } catch (e) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      showSignin(e.status === 401 ? 'This token is not accepted by the gateway.' : `Sign-in failed: ${e.message}`);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    state.me = me;
    state.filterKeys = null;
    $('#signin').hidden = true;
    $('#nav').hidden = false;
    $('#who').hidden = false;
    $('[data-testid="whoami"]').textContent = me.name || '';
    const role = $('[data-testid="whoami-role"]');
    role.textContent = me.role;
    role.className = `badge role-${me.role}`;
    document.body.dataset.role = me.role;
    for (const a of document.querySelectorAll('[data-admin-only]')) a.hidden = !isAdmin();
    route();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.me = null;
    state.filterKeys = null;
    delete document.body.dataset.role;
    state.viewSeq++;
    if (location.hash) history.replaceState(null, '', location.pathname);
    showSignin(message);
  }

  async function filterKeys() {
    if (!state.filterKeys) state.filterKeys = (await get('/api/v1/filter-keys')).keys || [];
    return state.filterKeys;
  }

  // ---------------------------------------------------------------- routing and polling

  function stopPolling() {
    if (state.pollTimer) clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }
  // Calls fn now and every POLL_MS after it finished, while the view is the same one.
  function poll(seq, fn) {
    const tick = async () => {
      if (seq !== state.viewSeq) return;
      try { await fn(); } catch (e) { /* shown by fn */ }
      if (seq === state.viewSeq) state.pollTimer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  const VIEWS = {
    queues: viewQueues,
    destinations: viewDestinations,
    locations: viewLocations,
    devices: viewDevices,
    audit: viewAudit,
    tokens: viewTokens,
  };

  async function route() {
    stopPolling();
    const seq = ++state.viewSeq;
    if (!state.me) return;
    const m = (location.hash || '').match(/^#\/([a-z-]+)(?:\/(\d+))?/);
    let name = m && VIEWS[m[1]] ? m[1] : 'queues';
    if (name === 'tokens' && !isAdmin()) name = 'queues';
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === name);
    const root = clear($('#view'));
    root.dataset.view = name;
    try {
      if (name === 'queues' && m && m[2]) await viewQueue(root, seq, Number(m[2]));
      else await VIEWS[name](root, seq);
    } catch (e) {
      if (seq === state.viewSeq && e.status !== 401) {
        append(root, h('p', {class: 'error', testid: 'view-error'}, `Cannot load this page: ${e.message}`));
      }
    }
  }

  // ---------------------------------------------------------------- queues dashboard

  const COUNTERS = [
    ['queued', 'Queued', 'queue-queued'],
    ['delivered', 'Delivered', 'queue-delivered'],
    ['failedAttempts', 'Failed attempts', 'queue-failed-attempts'],
    ['deadLetters', 'Dead letters', 'queue-dead'],
    ['filtered', 'Filtered out', 'queue-filtered'],
  ];

  function queueRow(q) {
    const c = q.counters || {};
    return h('tr', {testid: 'queue-row', dataset: {id: q.destinationId, name: q.name, state: q.state},
      class: `row-${q.state}`},
      h('td', null, h('a', {href: `#/queues/${q.destinationId}`, testid: 'queue-open'}, q.name),
        h('div', {class: 'muted small'}, METHOD_NAMES[q.method] || q.method)),
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

  async function viewQueues(root, seq) {
    const updated = h('span', {class: 'muted small', testid: 'queues-updated'});
    const tbody = h('tbody');
    const table = h('table', {class: 'grid', testid: 'queues-table'},
      h('thead', null, h('tr', null,
        [['Destination'], ['State'], ['Depth', 'pending entries'], ['Oldest pending', 'age of the oldest pending entry'],
          ['Last error'], ['Next retry'], ['Failures', 'consecutive failed attempts'],
          ...COUNTERS.map(([, label]) => [label])].map(([t, title]) => h('th', {title: title || null}, t)))),
      tbody);
    append(root,
      h('div', {class: 'title'}, h('h1', null, 'Delivery queues'), updated),
      h('p', {class: 'muted'}, 'One row per destination, refreshed every 2 seconds. Open one to see its entries.'),
      h('div', {class: 'scroll'}, table));
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
      updated.classList.remove('error');
      updated.textContent = `updated ${fmtTime(new Date().toISOString())}`;
    });
  }

  // ---------------------------------------------------------------- one queue

  // The attempts, oldest first; a long history shows its last `limit` until asked for all.
  function historyTable(history, testid, limit = 10) {
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

  function packetName(entry) {
    const p = entry.packet;
    const name = p && typeof p === 'object' && p.name ? p.name : (entry.filterKey || '');
    return `${fmtType(entry.type)} ${name}`.trim();
  }

  function entryDetail(entry, testid = 'entry-detail') {
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
        h('pre', {class: 'json wrap', testid: 'entry-data'}, entry.data)) : null);
  }

  async function viewQueue(root, seq, id) {
    const summary = h('div', {testid: 'queue-summary'});
    const blocking = h('div', {testid: 'queue-blocking-section'});
    const title = h('h1', {testid: 'queue-title'}, `Queue ${id}`);
    let current = null;
    let lastJson = '';

    const refresh = async () => {
      const q = await get(`/api/v1/queues/${id}`);
      if (seq !== state.viewSeq) return;
      current = q;
      const json = JSON.stringify({...q, oldestPendingAgeSeconds: null});
      title.textContent = `${q.name} `;
      title.append(h('span', {class: 'muted'}, METHOD_NAMES[q.method] || q.method));
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

  // ---------------------------------------------------------------- destinations

  async function viewDestinations(root, seq) {
    const [d, l] = await Promise.all([get('/api/v1/destinations'), get('/api/v1/locations')]);
    if (seq !== state.viewSeq) return;
    const destinations = d.destinations || [];
    const locationNames = Object.fromEntries((l.locations || []).map((x) => [x.id, x.name]));
    const formHost = h('div');
    const reload = () => route();

    const openForm = async (dest) => {
      const keys = await filterKeys();
      clear(formHost);
      formHost.append(destinationForm(dest, keys, reload, () => clear(formHost)));
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
            h('td', null, METHOD_NAMES[x.method] || x.method),
            h('td', {class: 'wrap'}, PORT_METHODS.has(x.method) ? `${x.host}:${x.port}` : x.host),
            h('td', null, x.method === 'binary' ? '-' : x.format),
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

  // Seed 004 figures 1-5: the fields a method needs, and the packet filter.
  function destinationForm(dest, keys, onSaved, onCancel) {
    const d = dest || {
      name: '', method: 'rest', host: '', port: null, format: 'base64binary', customTags: '',
      filter: null, enabled: true, tlsVerify: true, tlsCaFile: '', replyTimeoutMs: 20000,
    };
    let filter = d.filter === null || d.filter === undefined ? null : [...d.filter];

    const name = h('input', {testid: 'dest-name', value: d.name, required: true, maxlength: 200});
    const method = h('select', {testid: 'dest-method', value: d.method},
      METHODS.map(([v, t]) => h('option', {value: v}, t)));
    const host = h('input', {testid: 'dest-host', value: d.host || '', required: true, size: 50, spellcheck: 'false'});
    const port = h('input', {testid: 'dest-port', type: 'number', min: 1, max: 65535, value: d.port ?? ''});
    const format = h('select', {testid: 'dest-format', value: d.format || 'base64binary'},
      h('option', {value: 'base64binary'}, 'base64binary'), h('option', {value: 'hex'}, 'hex'));
    const tags = h('input', {testid: 'dest-custom-tags', value: d.customTags || '', size: 50, spellcheck: 'false'});
    const enabled = h('input', {type: 'checkbox', testid: 'dest-enabled', checked: d.enabled !== false});
    const tlsVerify = h('input', {type: 'checkbox', testid: 'dest-tls-verify', checked: d.tlsVerify !== false});
    const tlsCa = h('input', {testid: 'dest-tls-ca-file', value: d.tlsCaFile || '', size: 50, placeholder: '/etc/dcgw/receiver-ca.pem'});
    const replyTimeout = h('input', {testid: 'dest-reply-timeout', type: 'number', min: 1, value: d.replyTimeoutMs ?? 20000});

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
    const onMethod = () => {
      const m = method.value;
      rows.port.hidden = !PORT_METHODS.has(m);
      rows.format.hidden = m === 'binary';
      rows.tlsVerify.hidden = !TLS_METHODS.has(m);
      rows.tlsCaFile.hidden = !TLS_METHODS.has(m);
      host.placeholder = HOST_HINT[m][0];
      rows.host.hint.textContent = HOST_HINT[m][1];
      tags.placeholder = TAGS_HINT[m][0];
      rows.customTags.hint.textContent = TAGS_HINT[m][1];
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
      if (PORT_METHODS.has(m) && port.value !== '') body.port = Number(port.value);
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

  // ---------------------------------------------------------------- locations (figure 6)

  async function viewLocations(root, seq) {
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

  function locationForm(loc, destinations, onSaved, onCancel) {
    const name = h('input', {testid: 'loc-name', value: loc ? loc.name : '', required: true});
    const description = h('input', {testid: 'loc-description', value: loc ? loc.description || '' : '', size: 50});
    const chosen = new Set(loc ? loc.destinationIds || [] : []);
    const boxes = destinations.map((x) => h('label', {class: 'check'},
      h('input', {type: 'checkbox', testid: 'loc-dest', dataset: {id: x.id, name: x.name}, checked: chosen.has(x.id)}),
      ` ${x.name}`, h('span', {class: 'muted small'}, ` ${METHOD_NAMES[x.method] || x.method}${x.enabled ? '' : ', disabled'}`)));
    const err = formError();
    const form = h('form', {class: 'card form', testid: 'loc-form', novalidate: true},
      h('h2', null, loc ? `Edit location: ${loc.name}` : 'Create new location'),
      field('Name', name, 'name', {required: true}),
      field('Description', description, 'description'),
      field('Data packets forwarded to', h('div', {class: 'multi', testid: 'loc-destinations-select'},
        boxes.length ? boxes : h('span', {class: 'muted'}, 'No destinations yet.')), 'destinationIds'),
      err,
      h('div', {class: 'buttons'},
        h('button', {type: 'submit', class: 'primary', testid: 'loc-save'}, 'Confirm'),
        h('button', {type: 'button', testid: 'loc-cancel', onclick: onCancel}, 'Cancel')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = {
        name: name.value.trim(), description: description.value,
        destinationIds: [...form.querySelectorAll('[data-testid="loc-dest"]:checked')].map((b) => Number(b.dataset.id)),
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

  // ---------------------------------------------------------------- devices and refused idents

  function locationSelect(locations, value, testid) {
    return h('select', {testid, value: value === null || value === undefined ? '' : String(value)},
      h('option', {value: ''}, '(no location)'),
      locations.map((x) => h('option', {value: String(x.id)}, x.name)));
  }
  const locationValue = (sel) => (sel.value === '' ? null : Number(sel.value));

  async function viewDevices(root, seq) {
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
        h('thead', null, h('tr', null, ['Serial', 'Location', 'Registration', 'Key', 'Last sequence', ''].map((t) => h('th', null, t)))),
        h('tbody', null,
          devices.length ? null : h('tr', null, h('td', {colspan: 6, class: 'muted'}, 'No devices yet.')),
          devices.map((x) => h('tr', {testid: 'dev-row', dataset: {serial: x.serial}},
            h('td', {class: 'mono'}, x.serial),
            h('td', {testid: 'dev-location'}, x.locationId === null || x.locationId === undefined
              ? h('span', {class: 'muted'}, 'none') : (locName[x.locationId] || `#${x.locationId}`)),
            h('td', null, x.registration || ''),
            h('td', {testid: 'dev-has-key'}, x.hasKey ? 'set' : h('span', {class: 'error-text'}, 'none: cannot log in')),
            h('td', {class: 'num'}, x.lastSequence ?? 0),
            h('td', {class: 'row-actions'}, adminOnly(() => [
              h('button', {type: 'button', testid: 'dev-edit', onclick: () => openForm(x)}, 'Edit'),
              h('button', {type: 'button', testid: 'dev-genkey', onclick: () => generateKey(x.serial)}, 'Generate key'),
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

  function deviceForm(dev, locations, onSaved, onCancel) {
    const serial = dev ? null : h('input', {testid: 'dev-serial', maxlength: 8, required: true, size: 10, spellcheck: 'false'});
    const loc = locationSelect(locations, dev ? dev.locationId : null, 'dev-location-select');
    const reg = h('input', {testid: 'dev-registration', maxlength: 13, value: dev ? dev.registration || '' : ''});
    const key = h('input', {testid: 'dev-key', size: 70, spellcheck: 'false', autocomplete: 'off',
      placeholder: dev ? 'blank keeps the current key' : 'blank: a key is generated and shown once'});
    const err = formError();
    const form = h('form', {class: 'card form', testid: 'dev-form', novalidate: true},
      h('h2', null, dev ? `Edit device ${dev.serial}` : 'Register a device'),
      serial ? field('Serial', serial, 'serial', {required: true, hint: '1 to 8 printable characters.'}) : null,
      field('Location', loc, 'locationId'),
      field('Registration', reg, 'registration', {hint: 'The vehicle registration, up to 13 characters.'}),
      field(dev ? 'Set key' : 'Key', key, 'key', {hint: '32 to 128 hex digits (for instance from openssl rand -hex 32).'}),
      err,
      h('div', {class: 'buttons'},
        h('button', {type: 'submit', class: 'primary', testid: 'dev-save'}, 'Confirm'),
        h('button', {type: 'button', testid: 'dev-cancel', onclick: onCancel}, 'Cancel')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = {locationId: locationValue(loc), registration: reg.value.trim()};
      if (key.value.trim()) body.key = key.value.trim();
      showErrors(form, null);
      try {
        if (dev) {
          await put(`/api/v1/devices/${encodeURIComponent(dev.serial)}`, body);
          flash(`Device ${dev.serial} saved.`);
        } else {
          body.serial = serial.value.trim();
          await post('/api/v1/devices', body);
          flash(`Device ${body.serial} registered.`);
          if (!body.key) {
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

  function refusedForm(serial, locations, onSaved) {
    const loc = locationSelect(locations, null, 'refused-location');
    const reg = h('input', {testid: 'refused-registration', maxlength: 13, placeholder: 'registration'});
    const err = formError();
    const form = h('form', {class: 'inline-form', testid: 'refused-form', novalidate: true},
      h('strong', null, `Register ${serial}: `),
      field('Location', loc, 'locationId'),
      field('Registration', reg, 'registration'),
      h('button', {type: 'submit', class: 'primary', testid: 'refused-save'}, 'Register with a new key'),
      err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showErrors(form, null);
      try {
        const dev = await post(`/api/v1/refused-idents/${encodeURIComponent(serial)}/register`,
          {locationId: locationValue(loc), registration: reg.value.trim()});
        flash(`Device ${serial} registered.`);
        if (dev && dev.key) showSecretOnce(`Key of device ${serial}`, 'This key is shown this once; copy it to the tracker now.', dev.key);
        onSaved();
      } catch (e) {
        if (e.status !== 401) showErrors(form, e);
      }
    });
    return h('tr', {testid: 'refused-form-row'}, h('td', {colspan: 7}, form));
  }

  // ---------------------------------------------------------------- audit log

  async function viewAudit(root, seq) {
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

  // ---------------------------------------------------------------- tokens (admin)

  async function viewTokens(root, seq) {
    const t = await get('/api/v1/tokens');
    if (seq !== state.viewSeq) return;
    const name = h('input', {testid: 'token-name', placeholder: 'name (who uses it)', required: true});
    const role = h('select', {testid: 'token-role'}, h('option', {value: 'auditor'}, 'auditor'), h('option', {value: 'admin'}, 'admin'));
    const err = formError();
    const form = h('form', {class: 'inline-form card', testid: 'token-form', novalidate: true},
      field('Name', name, 'name', {required: true}), field('Role', role, 'role'),
      h('button', {type: 'submit', class: 'primary', testid: 'token-create'}, 'Create token'), err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showErrors(form, null);
      try {
        const made = await post('/api/v1/tokens', {name: name.value.trim(), role: role.value});
        showSecretOnce(`Token ${made.name}`, 'This token is shown this once; give it to its user now.', made.token);
        route();
      } catch (e) { if (e.status !== 401) showErrors(form, e); }
    });
    append(root,
      h('div', {class: 'title'}, h('h1', null, 'Tokens')),
      h('p', {class: 'muted'}, 'Admins change configuration and act on queues; auditors only read. Secrets are stored hashed and never shown again.'),
      form,
      h('table', {class: 'grid', testid: 'tokens-table'},
        h('thead', null, h('tr', null, ['Id', 'Name', 'Role', 'Created', 'Last used', ''].map((x) => h('th', null, x)))),
        h('tbody', null, (t.tokens || []).map((x) => h('tr', {testid: 'token-row', dataset: {id: x.id, name: x.name}},
          h('td', {class: 'num'}, x.id), h('td', null, x.name), h('td', null, x.role),
          h('td', null, timeEl(x.createdAt)), h('td', null, timeEl(x.lastUsedAt)),
          h('td', {class: 'row-actions'}, h('button', {type: 'button', class: 'danger', testid: 'token-revoke', onclick: async () => {
            if (!await confirmAction(`Revoke token ${x.name}?`, 'Whoever uses it is signed out at once.', 'Revoke')) return;
            try { await del(`/api/v1/tokens/${x.id}`); flash(`Token ${x.name} revoked.`); route(); }
            catch (e) { flashError(e, 'Cannot revoke'); }
          }}, 'Revoke')))))));
  }

  // ---------------------------------------------------------------- start

  document.addEventListener('DOMContentLoaded', () => {
    $('#signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = $('#signin-token').value.trim();
      if (token) signIn(token);
    });
    $('#signout').addEventListener('click', () => signOut());
    window.addEventListener('hashchange', () => {
      $('#flash').hidden = true; // a message belongs to the page it was shown on
      if (state.me) route();
    });
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved); else showSignin();
  });
})();
