#!/usr/bin/env node
// The admin API's contract, checked from both ends.
//
//   node tests/contract/openapi_test.js <path-to-dcgw> <path-to-schema/openapi.yaml>
//
// 1. schema/openapi.yaml passes a maintained OpenAPI validator (npm @apidevtools/swagger-parser,
//    the one client generators build on), so third parties' tools can read it.
// 2. A real `dcgw serve` (and `dcgw receive`, `dcgw simulate`) on loopback is driven through
//    every operation the document lists; each response is checked against the document: its
//    status is one the operation documents, its body matches the documented schema (npm ajv),
//    and no object carries a member the document does not name. The test fails when an
//    operation of the document was never answered with a documented success, so a new endpoint
//    needs its documentation and its check here, and the contract and the server cannot drift.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {execFileSync} = require('node:child_process');

const [dcgwArg, yamlArg] = process.argv.slice(2);
if (!dcgwArg || !yamlArg) {
  console.error('usage: node tests/contract/openapi_test.js <path-to-dcgw> <path-to-openapi.yaml>');
  process.exit(2);
}
let SwaggerParser;
let Ajv;
let addFormats;
try {
  SwaggerParser = require('@apidevtools/swagger-parser');
  Ajv = require('ajv');
  addFormats = require('ajv-formats');
} catch (e) {
  console.error('openapi_test: the validators are not installed: run `npm ci` in tests/contract');
  process.exit(2);
}
const dcgw = path.resolve(dcgwArg);
const {log, start, runOk, check, waitUntil, runTest} =
  require('../support/dcgw_processes.js')(dcgw, 'openapi_test');
let workDir = null;

// ------------------------------------------------------------------ the document

// Every member an object schema names (allOf branches merged); null when it names none (free).
function namedMembers(schema) {
  if (!schema || typeof schema !== 'object') return null;
  let names = null;
  const add = (props) => {
    names = names || new Set();
    for (const k of Object.keys(props)) names.add(k);
  };
  if (schema.properties) add(schema.properties);
  for (const sub of [...(schema.allOf || []), ...(schema.anyOf || []), ...(schema.oneOf || [])]) {
    const n = namedMembers(sub);
    if (n) add(Object.fromEntries([...n].map((k) => [k, true])));
  }
  return names;
}
function memberSchema(schema, key) {
  if (schema.properties && schema.properties[key]) return schema.properties[key];
  for (const sub of [...(schema.allOf || []), ...(schema.anyOf || []), ...(schema.oneOf || [])]) {
    const s = memberSchema(sub, key);
    if (s) return s;
  }
  return null;
}
function itemsSchema(schema) {
  if (schema.items) return schema.items;
  for (const sub of [...(schema.allOf || []), ...(schema.anyOf || []), ...(schema.oneOf || [])]) {
    const s = itemsSchema(sub);
    if (s) return s;
  }
  return null;
}
// Members of the body the document does not name, as JSON paths.
function undocumented(value, schema, where, out) {
  if (!schema || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    const items = itemsSchema(schema);
    value.forEach((v, i) => undocumented(v, items, `${where}[${i}]`, out));
    return out;
  }
  const names = namedMembers(schema);
  if (!names) return out; // a free object (a decoded packet, an audit snapshot)
  for (const [k, v] of Object.entries(value)) {
    if (!names.has(k)) out.push(`${where}.${k}`);
    else undocumented(v, memberSchema(schema, k), `${where}.${k}`, out);
  }
  return out;
}

// OpenAPI 3.0's `nullable` beside no `type` (a member of any type) is left to mean what it
// says: anything, null included. (Ajv refuses it without a type.)
function anyTypeNullable(schema, seen = new Set()) {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  if (schema.nullable && schema.type === undefined) delete schema.nullable;
  for (const v of Object.values(schema)) anyTypeNullable(v, seen);
}

function compileOperations(doc) {
  anyTypeNullable(doc);
  const ajv = new Ajv({strict: false, allErrors: true});
  addFormats(ajv);
  const ops = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const re = new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    for (const method of ['get', 'put', 'post', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const responses = {};
      for (const [status, r] of Object.entries(op.responses)) {
        const content = r.content || {};
        const json = content['application/json'];
        responses[status] = {
          type: Object.keys(content)[0] || null,
          schema: json ? json.schema : null,
          validate: json ? ajv.compile(json.schema) : null,
        };
      }
      ops.push({key: `${method.toUpperCase()} ${template}`, method: method.toUpperCase(), re, responses});
    }
  }
  return ops;
}

// ------------------------------------------------------------------ the test

async function main() {
  // 1. The document itself (validate() dereferences in place: give it its own copy).
  const yamlPath = path.resolve(yamlArg);
  try {
    await SwaggerParser.validate(yamlPath);
  } catch (e) {
    throw new Error(`schema/openapi.yaml is not a valid OpenAPI document:\n${e.message}`);
  }
  const doc = await SwaggerParser.dereference(yamlPath);
  const ops = compileOperations(doc);
  log(`openapi.yaml is valid: ${ops.length} operations`);

  // 2. The server's answers.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dcgw-contract-'));
  workDir = work;
  const db = path.join(work, 'dcgw.db');
  const cfg = path.join(work, 'dcgw.json');
  const serial = String(30_000_000 + crypto.randomInt(9_000_000));
  const stranger = String(40_000_000 + crypto.randomInt(9_000_000));
  const key = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(cfg, JSON.stringify({
    store: {synchronous: 'normal', retentionDays: 7},
    uplink: {bind: '127.0.0.1', port: 0},
    admin: {bind: '127.0.0.1', port: 0},
    destinations: [],
    locations: [{name: 'Depot', description: 'contract test', destinations: []}],
    devices: [{serial, location: 'Depot', registration: 'CT01ABC', key}],
  }, null, 2));
  const admin = (await runOk(['token', 'create', '--role', 'admin', '--name', 'contract', '--db', db])).stdout.trim();
  const auditor = (await runOk(['token', 'create', '--role', 'auditor', '--name', 'contract-auditor', '--db', db])).stdout.trim();
  // The card relay's log as a relay writes it (this serve runs no relay, so without these rows
  // the card events and sessions would answer empty lists, their items never checked).
  const cardNo = 'B000000000012301';
  const t0 = Date.now() - 60_000;
  try {
    execFileSync('sqlite3', [db], {input: `
      INSERT INTO card_events (at, card, serial, bridge, code, text) VALUES
        (${t0}, '${cardNo}', '${serial}', '', 'WAITING', 'The request waits for the card at place 1.'),
        (${t0 + 10}, '${cardNo}', '${serial}', 'office-1', 'OPENED', 'The session started.'),
        (${t0 + 20}, '', '', 'office-2', 'WRONG_PROOF', 'The bridge office-2 logged in with a wrong key.');
      INSERT INTO card_sessions (card, serial, bridge, requested_at, started_at, ended_at, outcome, apdus) VALUES
        ('${cardNo}', '${serial}', 'office-1', ${t0}, ${t0 + 10}, ${t0 + 900}, 'FINISHED', 9),
        ('${cardNo}', '${serial}', '', ${t0 + 1000}, NULL, ${t0 + 1005}, 'OFFLINE', 0);`});
  } catch (e) {
    throw new Error(`sqlite3 (Debian package sqlite3, installed by dev.sh test) could not seed the card log: ${e.message}`);
  }

  const receiver = start('dcgw receive', ['receive', '--rest', '0']);
  const recvPort = Number((await receiver.waitLine(/rest listening on [\d.]+:(\d+)/))[1]);
  const serve = start('dcgw serve', ['serve', '--db', db, '--config', cfg, '--uplink-port', '0', '--admin-port', '0',
    '--retry-base-ms', '500', '--retry-cap-ms', '2000', '--stats-seconds', '0']);
  const uplinkPort = Number((await serve.waitLine(/uplink listening on [\d.]+:(\d+)/))[1]);
  const base = (await serve.waitLine(/admin API on (https?:\/\/[^\s]+)/))[1].replace(/\/$/, '');
  log(`serve: uplink ${uplinkPort}, admin ${base}`);

  const answered = new Map(); // operation -> statuses seen
  const problems = [];
  const call = async (method, p, body, token = admin) => {
    const res = await fetch(base + p, {
      method,
      headers: {...(token ? {Authorization: `Bearer ${token}`} : {}), ...(body ? {'Content-Type': 'application/json'} : {})},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const pathOnly = p.split('?')[0];
    const op = ops.find((o) => o.method === method && o.re.test(pathOnly));
    const what = `${method} ${p} -> ${res.status}`;
    if (!op) {
      problems.push(`${what}: the document has no such operation`);
      return {status: res.status, data: text};
    }
    if (!answered.has(op.key)) answered.set(op.key, new Set());
    answered.get(op.key).add(res.status);
    // 401 and 403 are documented once for all (security); the rest per operation.
    const documented = op.responses[String(res.status)] || op.responses.default ||
      (res.status === 401 ? doc.components.responses.Unauthorized : null) ||
      (res.status === 403 ? doc.components.responses.Forbidden : null);
    if (!documented) {
      problems.push(`${what}: status ${res.status} is not documented for ${op.key} (documented: ${Object.keys(op.responses).join(', ')}): ${text.slice(0, 200)}`);
      return {status: res.status, data: text};
    }
    if (res.status === 204) {
      if (text.length) problems.push(`${what}: a body in a 204: ${text.slice(0, 200)}`);
      return {status: res.status, data: null};
    }
    const type = (res.headers.get('content-type') || '').split(';')[0].trim();
    const expectedType = documented.type || (documented.content ? Object.keys(documented.content)[0] : null);
    if (expectedType && type !== expectedType) problems.push(`${what}: Content-Type ${type}, documented ${expectedType}`);
    if (!expectedType && text.length) problems.push(`${what}: a body where none is documented: ${text.slice(0, 200)}`);
    let data = text;
    if (type === 'application/json') {
      try {
        data = JSON.parse(text);
      } catch (e) {
        problems.push(`${what}: not JSON: ${e.message}`);
        return {status: res.status, data: text};
      }
      const schema = documented.schema || (documented.content && documented.content['application/json'].schema);
      const validate = documented.validate || new Ajv({strict: false, allErrors: true}).compile(schema);
      if (!validate(data)) {
        problems.push(`${what}: the body does not match the document: ` +
          validate.errors.map((e) => `${e.instancePath || '(body)'} ${e.message}`).join('; '));
      }
      for (const extra of undocumented(data, schema, '$', [])) problems.push(`${what}: ${extra} is not documented`);
    }
    return {status: res.status, data};
  };
  const expect = async (status, method, p, body, token) => {
    const r = await call(method, p, body, token);
    check(r.status === status, `${method} ${p}: ${r.status}, expected ${status}: ${JSON.stringify(r.data).slice(0, 300)}`);
    return r.data;
  };

  await expect(200, 'GET', '/healthz', undefined, null);
  await expect(200, 'GET', '/metrics');
  await expect(401, 'GET', '/api/v1/me', undefined, null);
  await expect(200, 'GET', '/api/v1/me');
  await expect(200, 'GET', '/api/v1/filter-keys');
  await expect(200, 'GET', '/api/v1/methods');
  await expect(200, 'GET', '/api/v1/store');

  // Destinations.
  const destBody = {name: 'Contract REST', method: 'rest', host: `http://127.0.0.1:${recvPort}/api/datapacket`,
    format: 'hex', customTags: 'fleet:"contract"', filter: null};
  const dest = await expect(201, 'POST', '/api/v1/destinations', destBody);
  await expect(400, 'POST', '/api/v1/destinations', {name: '', method: 'rest', host: 'nope'});
  await expect(409, 'POST', '/api/v1/destinations', destBody);
  await expect(403, 'POST', '/api/v1/destinations', destBody, auditor);
  await expect(200, 'GET', '/api/v1/destinations');
  await expect(200, 'GET', `/api/v1/destinations/${dest.id}`);
  await expect(404, 'GET', '/api/v1/destinations/999999');
  await expect(200, 'PUT', `/api/v1/destinations/${dest.id}`, {...destBody, customTags: 'fleet:"contract2"'});
  await expect(200, 'POST', `/api/v1/destinations/${dest.id}/disable`);
  await expect(200, 'POST', `/api/v1/destinations/${dest.id}/enable`);
  const spare = await expect(201, 'POST', '/api/v1/destinations',
    {name: 'Contract spare', method: 'xml-tcp', host: '127.0.0.1', port: 9});

  // Locations.
  const locs = await expect(200, 'GET', '/api/v1/locations');
  const depot = locs.locations.find((l) => l.name === 'Depot');
  check(depot, 'location Depot from the configuration is missing');
  await expect(200, 'PUT', `/api/v1/locations/${depot.id}`, {name: 'Depot', description: 'contract test', destinationIds: [dest.id]});
  await expect(200, 'GET', `/api/v1/locations/${depot.id}`);
  const yard = await expect(201, 'POST', '/api/v1/locations', {name: 'Yard', destinationIds: [spare.id]});
  await expect(400, 'POST', '/api/v1/locations', {name: 'Bad', destinationIds: ['x']});
  // A location's alerts (schema/alerts.md).
  await expect(200, 'GET', `/api/v1/locations/${depot.id}/alerts`);
  const alerts = await expect(200, 'PUT', `/api/v1/locations/${depot.id}/alerts`,
    {language: 'de', rules: [{rule: 'device-silent', threshold: 5}, {rule: 'time-warning'}]});
  check(alerts.language === 'de' && alerts.rules.length === 2 && alerts.rules[0].unit === 'hours',
    `the alert settings as put: ${JSON.stringify(alerts)}`);
  await expect(400, 'PUT', `/api/v1/locations/${depot.id}/alerts`, {rules: [{rule: 'nosuch'}]});
  await expect(403, 'PUT', `/api/v1/locations/${depot.id}/alerts`, {rules: []}, auditor);
  await expect(404, 'GET', '/api/v1/locations/999999/alerts');
  await expect(404, 'PUT', '/api/v1/locations/999999/alerts', {rules: []});

  // Devices and refused idents.
  await expect(200, 'GET', '/api/v1/devices');
  await expect(200, 'GET', `/api/v1/devices/${serial}`);
  await expect(404, 'GET', '/api/v1/devices/nosuch');
  const other = await expect(201, 'POST', '/api/v1/devices', {serial: '7', locationId: yard.id, registration: 'CT02'});
  await expect(200, 'PUT', `/api/v1/devices/${other.serial}`, {registration: 'CT03'});
  await expect(200, 'POST', `/api/v1/devices/${other.serial}/key`);
  await expect(204, 'DELETE', `/api/v1/devices/${other.serial}`);
  // Company cards and card bridges (issue 12): this serve runs no card relay, so every card
  // is offline and every bridge disconnected; the log rows were seeded above.
  const cardBody = {number: cardNo, name: 'Contract card', locationIds: [depot.id], expiresOn: '2099-12-31'};
  const card = await expect(201, 'POST', '/api/v1/cards', cardBody);
  check(card.online === false && card.expired === false && card.queueLength === 0 && card.devices.length === 0,
    `a new card: offline, not expired, unused: ${JSON.stringify(card)}`);
  await expect(400, 'POST', '/api/v1/cards', {number: 'has space', expiresOn: '2027-02-30', locationIds: [999999]});
  await expect(409, 'POST', '/api/v1/cards', cardBody);
  await expect(403, 'POST', '/api/v1/cards', cardBody, auditor);
  await expect(201, 'POST', '/api/v1/cards', {number: 'OLD1', expiresOn: '2001-01-31'});
  const cards = await expect(200, 'GET', '/api/v1/cards');
  check(cards.cards.find((c) => c.number === 'OLD1').expired === true, 'a card of 2001 is expired');
  await expect(200, 'PUT', `/api/v1/cards/${cardNo}`, {name: 'Contract card 2'});
  await expect(400, 'PUT', `/api/v1/cards/${cardNo}`, {expiresOn: 'soon'});
  await expect(404, 'PUT', '/api/v1/cards/NOSUCH', {name: 'x'});
  await expect(200, 'PUT', `/api/v1/devices/${serial}`, {companyCard: cardNo});
  await expect(400, 'PUT', `/api/v1/devices/${serial}`, {companyCard: 'NOSUCH'});
  const named = await expect(200, 'GET', `/api/v1/devices/${serial}`);
  check(named.companyCard === cardNo, `the device names its card: ${JSON.stringify(named)}`);
  await expect(409, 'DELETE', `/api/v1/cards/${cardNo}`);
  const detail = await expect(200, 'GET', `/api/v1/cards/${cardNo}`);
  check(detail.devices.includes(serial) && detail.lastSessions.length === 2 &&
    detail.lastSessions[1].durationMs === 890, `the card's devices and last sessions: ${JSON.stringify(detail)}`);
  await expect(404, 'GET', '/api/v1/cards/NOSUCH');
  const events = await expect(200, 'GET', `/api/v1/cards/${cardNo}/events?limit=1`);
  check(events.events.length === 1 && events.next !== null, `a page of 1 event with a next cursor: ${JSON.stringify(events)}`);
  await expect(200, 'GET', `/api/v1/cards/${cardNo}/events?before=${events.next}`);
  await expect(400, 'GET', `/api/v1/cards/${cardNo}/events?limit=501`);
  await expect(404, 'GET', '/api/v1/cards/NOSUCH/events');
  await expect(200, 'GET', `/api/v1/cards/${cardNo}/sessions?limit=1`);
  await expect(400, 'GET', `/api/v1/cards/${cardNo}/sessions?limit=0`);
  await expect(404, 'GET', '/api/v1/cards/NOSUCH/sessions');
  const all = await expect(200, 'GET', '/api/v1/card-events');
  check(all.events.length === 3 && all.events[0].card === null && all.next === null,
    `every event, the bridge's without a card: ${JSON.stringify(all)}`);
  await expect(400, 'GET', '/api/v1/card-events?before=x');
  await expect(200, 'GET', `/api/v1/devices/${serial}/card-events`);
  await expect(404, 'GET', '/api/v1/devices/nosuch/card-events');
  await expect(400, 'GET', `/api/v1/devices/${serial}/card-events?limit=x`);
  await expect(200, 'GET', `/api/v1/devices/${serial}/card-sessions?limit=500`);
  await expect(404, 'GET', '/api/v1/devices/nosuch/card-sessions');
  await expect(400, 'GET', `/api/v1/devices/${serial}/card-sessions?limit=501`);
  const bridge = await expect(201, 'POST', '/api/v1/card-bridges', {ident: 'office-1', description: 'Fleet office'});
  check(/^[0-9a-f]{64}$/.test(bridge.key) && bridge.connected === false && bridge.hasKey,
    `a generated key, shown once: ${JSON.stringify(bridge)}`);
  const given = await expect(201, 'POST', '/api/v1/card-bridges', {ident: 'office-2', key: 'ab'.repeat(16)});
  check(given.key === undefined, `a given key is not shown: ${JSON.stringify(given)}`);
  await expect(400, 'POST', '/api/v1/card-bridges', {ident: 'a b', key: 'abc'});
  await expect(409, 'POST', '/api/v1/card-bridges', {ident: 'office-1'});
  await expect(200, 'GET', '/api/v1/card-bridges');
  await expect(200, 'GET', '/api/v1/card-bridges/office-1');
  await expect(404, 'GET', '/api/v1/card-bridges/nosuch');
  await expect(200, 'PUT', '/api/v1/card-bridges/office-1', {description: 'Fleet office, upstairs'});
  await expect(400, 'PUT', '/api/v1/card-bridges/office-1', {key: 'zz'});
  await expect(404, 'PUT', '/api/v1/card-bridges/nosuch', {description: ''});
  await expect(200, 'POST', '/api/v1/card-bridges/office-1/rotate-key');
  await expect(404, 'POST', '/api/v1/card-bridges/nosuch/rotate-key');
  await expect(403, 'POST', '/api/v1/card-bridges/office-1/rotate-key', undefined, auditor);
  await expect(204, 'DELETE', '/api/v1/card-bridges/office-2');
  await expect(404, 'DELETE', '/api/v1/card-bridges/office-2');
  await expect(204, 'DELETE', '/api/v1/cards/OLD1');
  await expect(404, 'DELETE', '/api/v1/cards/OLD1');

  await runOk(['simulate', '--port', String(uplinkPort), '--count', '1', '--rate', '1', '--drain', '2',
    '--first-serial', stranger], 40_000).catch(() => {}); // refused: its login fails
  const refused = await waitUntil('the stranger among the refused idents', async () => {
    const r = await expect(200, 'GET', '/api/v1/refused-idents');
    return r.refusedIdents.some((x) => x.serial === stranger) && r;
  });
  check(refused, 'no refused ident');
  await expect(201, 'POST', `/api/v1/refused-idents/${stranger}/register`, {locationId: yard.id});

  // Packets through the uplink, delivered, then the queue's views and actions.
  const sim = await runOk(['simulate', '--port', String(uplinkPort), '--count', '20', '--rate', '40',
    '--key', key, '--first-serial', serial], 40_000);
  check(/^acknowledged: 20$/m.test(sim.stdout), `dcgw simulate did not get its 20 packets acknowledged:\n${sim.stdout}`);
  await waitUntil('the 20 packets delivered', async () => {
    const q = await expect(200, 'GET', `/api/v1/queues/${dest.id}`);
    return q.counters.delivered >= 20 && q;
  });
  await expect(200, 'GET', '/api/v1/queues');
  const hist = await expect(200, 'GET', '/api/v1/queues/history');
  const histQueue = (hist.queues || []).find((x) => x.destinationId === dest.id);
  check(histQueue && histQueue.points.length >= 1 && histQueue.points[histQueue.points.length - 1].delivered >= 20,
    `the queue history ends with the current state: ${JSON.stringify(hist).slice(0, 300)}`);
  await expect(200, 'GET', '/api/v1/queues/history?range=day');
  await expect(400, 'GET', '/api/v1/queues/history?range=week');
  const seen = await expect(200, 'GET', `/api/v1/devices/${serial}`);
  check(typeof seen.lastPacketAt === 'string', `the device's last packet time after its packets: ${JSON.stringify(seen)}`);
  const drivers = await expect(200, 'GET', '/api/v1/drivers');
  check(Array.isArray(drivers.drivers), `a list of drivers: ${JSON.stringify(drivers)}`);
  const page = await expect(200, 'GET', `/api/v1/queues/${dest.id}/entries?state=delivered&limit=5`);
  check(page.entries.length === 5 && page.next !== null, `a page of 5 entries with a next cursor: ${JSON.stringify(page).slice(0, 300)}`);
  await expect(200, 'GET', `/api/v1/queues/${dest.id}/entries?after=${page.next}&limit=500`);
  await expect(400, 'GET', `/api/v1/queues/${dest.id}/entries?limit=0`);
  await expect(200, 'GET', `/api/v1/queues/${dest.id}/entries/${page.entries[0].id}`);
  await expect(404, 'GET', `/api/v1/queues/${dest.id}/entries/999999999`);
  await expect(200, 'POST', `/api/v1/queues/${dest.id}/pause`);
  await expect(200, 'POST', `/api/v1/queues/${dest.id}/replay`, {from: '2000-01-01T00:00:00Z'});
  await expect(200, 'POST', `/api/v1/queues/${dest.id}/skip`, {reason: 'contract test'});
  await expect(400, 'POST', `/api/v1/queues/${dest.id}/skip`, {});
  await expect(200, 'POST', `/api/v1/queues/${dest.id}/requeue-dead`);
  await expect(200, 'POST', `/api/v1/queues/${dest.id}/resume`);
  await expect(200, 'POST', `/api/v1/queues/${dest.id}/retry`);
  await expect(404, 'GET', '/api/v1/queues/999999');
  await expect(409, 'POST', `/api/v1/queues/${spare.id}/skip`, {reason: 'nothing to skip'});

  // A tachograph file through the uplink's file upload (schema/uplink.md section 8.6), then
  // the file endpoints.
  const ddd = path.join(work, 'upload.DDD');
  fs.writeFileSync(ddd, crypto.randomBytes(70_000));
  const upload = await runOk(['simulate', '--upload', ddd, '--kind', 'driver-card', '--port', String(uplinkPort),
    '--key', key, '--first-serial', serial], 40_000);
  const stored = /FILE_RESULT upload \d+: OK, file (\d+)/.exec(upload.stdout);
  check(stored, `dcgw simulate --upload did not store its file:\n${upload.stdout}`);
  const fileId = stored ? Number(stored[1]) : 0;
  const fileList = await expect(200, 'GET', `/api/v1/devices/${serial}/files?limit=1`);
  check(fileList.files.length === 1 && fileList.files[0].id === fileId && fileList.next === null,
    `the device's one file: ${JSON.stringify(fileList)}`);
  await expect(400, 'GET', `/api/v1/devices/${serial}/files?limit=0`);
  await expect(404, 'GET', '/api/v1/devices/nosuch/files');
  const fileMeta = await expect(200, 'GET', `/api/v1/files/${fileId}`);
  check(fileMeta.size === 70_000 && fileMeta.announcedKind === 'driverCard' && fileMeta.serial === serial,
    `the file's metadata: ${JSON.stringify(fileMeta)}`);
  await expect(200, 'GET', `/api/v1/files/${fileId}/content`);
  await expect(404, 'GET', '/api/v1/files/999999');
  await expect(404, 'GET', '/api/v1/files/999999/content');

  // Tokens and the audit log (every change above is in it, with before/after snapshots).
  const tok = await expect(201, 'POST', '/api/v1/tokens', {name: 'contract-temp', role: 'auditor'});
  await expect(200, 'GET', '/api/v1/tokens');
  await expect(403, 'GET', '/api/v1/tokens', undefined, auditor);
  await expect(204, 'DELETE', `/api/v1/tokens/${tok.id}`);
  const audit = await expect(200, 'GET', '/api/v1/audit?limit=10');
  await expect(200, 'GET', `/api/v1/audit?before=${audit.next}`);

  // Tachograph download compliance (schema/files.md): the yard's devices have no file yet.
  await expect(200, 'GET', `/api/v1/compliance?location=${yard.id}&soonDays=14`);
  await expect(200, 'GET', '/api/v1/compliance?status=overdue,never', undefined, auditor);
  await expect(400, 'GET', '/api/v1/compliance?status=late');
  await expect(404, 'GET', '/api/v1/compliance?location=999999');

  // Removals last.
  await expect(204, 'DELETE', `/api/v1/locations/${yard.id}`);
  await expect(204, 'DELETE', `/api/v1/destinations/${spare.id}`);
  await expect(404, 'DELETE', `/api/v1/destinations/${spare.id}`);

  const never = ops.filter((o) => ![...(answered.get(o.key) || [])].some((s) => s >= 200 && s < 300));
  for (const o of never) problems.push(`${o.key}: never answered with a documented success by this test`);
  check(problems.length === 0, `${problems.length} differences between the server and schema/openapi.yaml:\n  ` +
    problems.join('\n  '));
  log(`every one of the ${ops.length} operations answered as documented ` +
    `(${[...answered.values()].reduce((n, s) => n + s.size, 0)} operation/status pairs)`);

  await serve.stop('SIGTERM');
  await receiver.stop('SIGKILL');
  fs.rmSync(work, {recursive: true, force: true});
  workDir = null;
}

runTest(main, 150_000, () => (workDir ? `database and config kept in ${workDir}` : null));
