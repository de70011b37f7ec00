// The view in the location hash, and polling that stops when the view changes.
import {state, isAdmin} from './state.js';
import {$, h, append, clear} from './dom.js';

export const POLL_MS = 2000;

// name -> async (root, seq) drawing it; app.js registers each resource's view. `details`:
// name -> async (root, seq, key) drawing #/name/KEY (a queue's id, a card's number, a device's
// serial; decoded).
const VIEWS = {};
const DETAILS = {};
export function registerViews(views, details) {
  Object.assign(VIEWS, views);
  Object.assign(DETAILS, details);
}

export function stopPolling() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}
// Calls fn now and every POLL_MS after it finished, while the view is the same one.
export function poll(seq, fn) {
  const tick = async () => {
    if (seq !== state.viewSeq) return;
    try { await fn(); } catch (e) { /* shown by fn */ }
    if (seq === state.viewSeq) state.pollTimer = setTimeout(tick, POLL_MS);
  };
  tick();
}

export async function route() {
  stopPolling();
  const seq = ++state.viewSeq;
  if (!state.me) return;
  const m = (location.hash || '').match(/^#\/([a-z-]+)(?:\/([^/]+))?/);
  let key = null;
  try { key = m && m[2] ? decodeURIComponent(m[2]) : null; } catch { key = null; }
  // A queue is a number: anything else there is the dashboard.
  if (m && m[1] === 'queues' && key !== null && !/^\d+$/.test(key)) key = null;
  let name = m && VIEWS[m[1]] ? m[1] : 'queues';
  if (name === 'tokens' && !isAdmin()) name = 'queues';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === name);
  const root = clear($('#view'));
  root.dataset.view = name;
  try {
    if (key !== null && DETAILS[name]) await DETAILS[name](root, seq, key);
    else await VIEWS[name](root, seq);
  } catch (e) {
    if (seq === state.viewSeq && e.status !== 401) {
      append(root, h('p', {class: 'error', testid: 'view-error'}, `Cannot load this page: ${e.message}`));
    }
  }
}
