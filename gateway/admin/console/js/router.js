// The view in the location hash, and polling that stops when the view changes.
import {state, isAdmin} from './state.js';
import {$, h, append, clear} from './dom.js';

export const POLL_MS = 2000;

// name -> async (root, seq) drawing it; app.js registers each resource's view. `queueDetail`
// draws #/queues/ID.
const VIEWS = {};
let queueDetail = null;
export function registerViews(views, detail) {
  Object.assign(VIEWS, views);
  queueDetail = detail;
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
  const m = (location.hash || '').match(/^#\/([a-z-]+)(?:\/(\d+))?/);
  let name = m && VIEWS[m[1]] ? m[1] : 'queues';
  if (name === 'tokens' && !isAdmin()) name = 'queues';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === name);
  const root = clear($('#view'));
  root.dataset.view = name;
  try {
    if (name === 'queues' && m && m[2]) await queueDetail(root, seq, Number(m[2]));
    else await VIEWS[name](root, seq);
  } catch (e) {
    if (seq === state.viewSeq && e.status !== 401) {
      append(root, h('p', {class: 'error', testid: 'view-error'}, `Cannot load this page: ${e.message}`));
    }
  }
}
