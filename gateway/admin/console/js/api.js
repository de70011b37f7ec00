// The admin API (schema/openapi.yaml): fetch with the bearer token, errors as ApiError, and the
// tables every view shares (filter keys, forwarding methods), fetched once per sign-in.
import {state} from './state.js';

export class ApiError extends Error {
  constructor(status, message, fields) {
    super(message);
    this.status = status;
    this.fields = fields || [];
  }
}

// What to do when the gateway no longer accepts the token (app.js signs out).
let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

export async function api(method, path, body) {
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
    onUnauthorized('The token is no longer accepted; sign in again.');
    throw new ApiError(401, 'not signed in');
  }
  if (!res.ok) {
    const msg = (data && typeof data === 'object' && data.error) ||
      (typeof data === 'string' && data) || `HTTP ${res.status}`;
    throw new ApiError(res.status, msg, data && data.fields);
  }
  return data;
}
export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);
export const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export async function filterKeys() {
  if (!state.filterKeys) state.filterKeys = (await get('/api/v1/filter-keys')).keys || [];
  return state.filterKeys;
}

// The forwarding methods table (GET /api/v1/methods): name, label, addressing, the settings each
// method takes with their defaults, and the form of its custom tags.
export async function methodTable() {
  if (!state.methods) state.methods = (await get('/api/v1/methods')).methods || [];
  return state.methods;
}
export const methodRow = (name) => (state.methods || []).find((m) => m.name === name) || null;
// The method's label for people, once the table is loaded; its name until then.
export const methodLabel = (name) => (methodRow(name) || {}).label || name;
// Whether the method reads the setting (a member of DestinationInput).
export const takesSetting = (name, setting) => {
  const m = methodRow(name);
  return !!m && m.settings.some((s) => s.name === setting);
};
// A setting's default as the table gives it (the same for every method that takes it).
export function settingDefault(setting, fallback) {
  for (const m of state.methods || []) {
    const s = m.settings.find((x) => x.name === setting);
    if (s && s.default !== null && s.default !== undefined) return s.default;
  }
  return fallback;
}
