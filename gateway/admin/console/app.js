// The dcgw web console: a single page that uses only the admin API (schema/openapi.yaml). This
// module signs in and out and starts the router; each resource of the API has its module in js/.
import {TOKEN_KEY, state, isAdmin} from './js/state.js';
import {$, clear} from './js/dom.js';
import {api, methodTable, whenUnauthorized} from './js/api.js';
import {stopPolling, route, registerViews} from './js/router.js';
import {viewQueues, viewQueue} from './js/queues.js';
import {viewDestinations} from './js/destinations.js';
import {viewLocations} from './js/locations.js';
import {viewDevices} from './js/devices.js';
import {viewAudit} from './js/audit.js';
import {viewTokens} from './js/tokens.js';
import {viewCards, viewCard} from './js/cards.js';
import {viewCardBridges} from './js/card_bridges.js';
import {viewDevice} from './js/device_detail.js';
import {viewDrivers} from './js/drivers.js';
import {viewCompliance} from './js/files.js';

registerViews({
  queues: viewQueues,
  destinations: viewDestinations,
  locations: viewLocations,
  devices: viewDevices,
  cards: viewCards,
  'card-bridges': viewCardBridges,
  drivers: viewDrivers,
  compliance: viewCompliance,
  audit: viewAudit,
  tokens: viewTokens,
}, {
  queues: (root, seq, id) => viewQueue(root, seq, Number(id)),
  cards: viewCard,
  devices: viewDevice,
});

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
  state.methods = null;
  // The views name methods by their label; without the table they show the names.
  try { await methodTable(); } catch (e) { /* the destination form fetches it again */ }
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
  state.methods = null;
  delete document.body.dataset.role;
  state.viewSeq++;
  if (location.hash) history.replaceState(null, '', location.pathname);
  showSignin(message);
}

whenUnauthorized(signOut);

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
