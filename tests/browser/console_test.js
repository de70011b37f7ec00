#!/usr/bin/env node
// Browser test of the web console against real dcgw processes on loopback (Debian's chromium).
//
//   node tests/browser/console_test.js <path-to-dcgw> <output-dir>
//   (DCGW_CONSOLE_DIR=gateway/admin/console: the console's files from disk, not from the binary)
//
// Starts `dcgw receive` and `dcgw serve` (ports chosen by the system), signs in with an admin
// token, creates a REST destination with a packet filter, sets it against location Depot, sends
// packets with `dcgw simulate` and watches them delivered on the dashboard and drawn in the
// queue's history charts (inline SVG, <output-dir>/charts.png), stops the receiver,
// watches the destination back off, skips the blocking entry, saves <output-dir>/dashboard.png,
// registers a company card and a card bridge (issue 12) and gives the device its card (its page
// shows its last seen time and last packets), then
// checks that an auditor sees no action controls and is refused (403) by the API.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CHROMIUM = process.env.DCGW_CHROMIUM || '/usr/bin/chromium';
const TOTAL_TIMEOUT_MS = 170_000;
const WAIT_MS = 25_000;

const [dcgwArg, outArg] = process.argv.slice(2);
if (!dcgwArg || !outArg) {
  console.error('usage: node tests/browser/console_test.js <path-to-dcgw-binary> <output-dir>');
  process.exit(2);
}
const dcgw = path.resolve(dcgwArg);
const outDir = path.resolve(outArg);

let chromium;
try {
  ({chromium} = require('playwright-core'));
} catch (e) {
  console.error('console_test: playwright-core is not installed: run `npm ci` in tests/browser');
  process.exit(2);
}

const {log, start, runOk, check, waitUntil: waitFor, runTest} =
  require('../support/dcgw_processes.js')(dcgw, 'console_test');
let workDir = null; // removed when the test passes, kept for a look when it fails
const waitUntil = (desc, fn, ms = WAIT_MS) => waitFor(desc, fn, ms);
const num = async (locator) => Number((await locator.textContent({timeout: 2000})).trim());

// ------------------------------------------------------------------ the test

const ACTION_TESTIDS = [
  'dest-new', 'dest-edit', 'dest-delete', 'dest-enable', 'dest-disable', 'dest-form',
  'loc-new', 'loc-edit', 'loc-delete', 'loc-form',
  'dev-new', 'dev-edit', 'dev-genkey', 'dev-reset-sequence', 'dev-delete', 'dev-form', 'refused-register',
  'queue-actions', 'queue-retry', 'queue-pause', 'queue-resume', 'queue-skip', 'queue-requeue-dead', 'queue-replay',
  'nav-tokens', 'token-form', 'token-revoke',
  'card-new', 'card-edit', 'card-delete', 'card-form', 'dev-company-card-form',
  'bridge-new', 'bridge-edit', 'bridge-genkey', 'bridge-delete', 'bridge-form',
];
const CARD = 'B000000000012301';
const FILTER = ['Tracking', 'Positional update', 'Tachograph mode', 'Clocking'];
const DEST = 'Browser REST';
const SKIP_REASON = 'receiver stopped by the browser test';

async function main() {
  fs.mkdirSync(outDir, {recursive: true});
  for (const f of ['dashboard.png', 'cards.png', 'charts.png', 'failure.png']) fs.rmSync(path.join(outDir, f), {force: true});
  check(fs.existsSync(dcgw), `no dcgw binary at ${dcgw}`);
  check(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dcgw-browser-'));
  workDir = work;
  const db = path.join(work, 'dcgw.db');
  const cfg = path.join(work, 'dcgw.json');
  const serial = String(20_000_000 + crypto.randomInt(9_000_000));
  const key = crypto.randomBytes(32).toString('hex');
  log(`work dir ${work}, device ${serial}`);

  const receiver = start('dcgw receive', ['receive', '--rest', '0']);
  const recvPort = Number((await receiver.waitLine(/rest listening on [\d.]+:(\d+)/))[1]);
  log(`receiver on port ${recvPort}`);

  fs.writeFileSync(cfg, JSON.stringify({
    store: {synchronous: 'normal', retentionDays: 7},
    uplink: {bind: '127.0.0.1', port: 0},
    admin: {bind: '127.0.0.1', port: 0},
    destinations: [],
    locations: [{name: 'Depot', description: 'seed 004 figure 6', destinations: []}],
    devices: [{serial, location: 'Depot', registration: 'BT26TST', key}],
  }, null, 2));

  const adminToken = (await runOk(['token', 'create', '--role', 'admin', '--name', 'browser', '--db', db])).stdout.trim();
  const auditorToken = (await runOk(['token', 'create', '--role', 'auditor', '--name', 'browser-auditor', '--db', db])).stdout.trim();
  check(adminToken && !/\s/.test(adminToken), `dcgw token create printed no single token: ${JSON.stringify(adminToken)}`);
  check(auditorToken && auditorToken !== adminToken, 'the auditor token is missing or equals the admin token');

  const serve = start('dcgw serve', ['serve', '--db', db, '--config', cfg, '--uplink-port', '0', '--admin-port', '0',
    '--retry-base-ms', '500', '--retry-cap-ms', '2000', '--stats-seconds', '0']);
  const uplinkPort = Number((await serve.waitLine(/uplink listening on [\d.]+:(\d+)/))[1]);
  const base = (await serve.waitLine(/admin API on (https?:\/\/[^\s]+)/))[1].replace(/\/$/, '');
  log(`serve: uplink ${uplinkPort}, admin ${base}`);

  const apiAs = async (token, method, p, body) => {
    const res = await fetch(base + p, {
      method,
      headers: {Authorization: `Bearer ${token}`, ...(body ? {'Content-Type': 'application/json'} : {})},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    return {status: res.status, data};
  };
  // The packets the gateway makes itself from what was sent (schema/derived-packets.md): one
  // Consolidated DDS per DDS feed packet, one New Driver for the first Clocking packet naming
  // the simulator's one driver.
  let derived = 0;
  const simulate = async () => {
    const simLog = path.join(work, 'simulate.log');
    const r = await runOk(['simulate', '--port', String(uplinkPort), '--count', '40', '--rate', '40',
      '--key', key, '--first-serial', serial, '--log', simLog], 40_000);
    const acked = Number((r.stdout.match(/^acknowledged: (\d+)/m) || [])[1]);
    check(acked === 40, `dcgw simulate: ${acked} of 40 packets acknowledged:\n${r.stdout}${r.stderr}`);
    const sent = fs.readFileSync(simLog, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[2]);
    derived = sent.filter((hex) => /^[46]d0[234]/.test(hex)).length +
      (sent.some((hex) => hex.startsWith('6b01')) ? 1 : 0);
    return r;
  };

  const browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: ['--no-sandbox']});
  let page = null;
  try {
    page = await browser.newPage({viewport: {width: 1500, height: 950}});
    page.setDefaultTimeout(WAIT_MS);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') log(`browser console: ${m.text()}`); });
    const tid = (id) => page.getByTestId(id);
    if (process.env.DCGW_CONSOLE_DIR) {
      // For working on the console without relinking dcgw: its files come from this folder.
      const dir = path.resolve(process.env.DCGW_CONSOLE_DIR);
      const types = {html: 'text/html', js: 'text/javascript', css: 'text/css'};
      await page.route((u) => u.origin === base && /^\/(index\.html|console\/[\w.-]+)?$/.test(u.pathname), (r) => {
        const p = new URL(r.request().url()).pathname;
        const file = p === '/' || p === '/index.html' ? 'index.html' : p.slice('/console/'.length);
        r.fulfill({contentType: types[file.split('.').pop()] || 'application/octet-stream', body: fs.readFileSync(path.join(dir, file))});
      });
      log(`console files from ${dir}`);
    }

    // --- sign in as admin
    await page.goto(`${base}/`);
    await tid('signin-token').fill('not-a-token');
    await tid('signin-submit').click();
    await waitUntil('the sign-in error for a bad token', async () => (await tid('signin-error').isVisible()) &&
      (await tid('signin-error').textContent()));
    await tid('signin-token').fill(adminToken);
    await tid('signin-submit').click();
    await waitUntil('role admin shown', async () => (await tid('whoami-role').textContent()) === 'admin');
    check(await tid('whoami').textContent() === 'browser', 'the token name is not shown');
    log('signed in as admin');

    // --- create the REST destination with a filter (figures 1 and 5)
    await tid('nav-destinations').click();
    await tid('dest-new').click();
    const form = tid('dest-form');
    await form.waitFor();
    const keys = (await apiAs(adminToken, 'GET', '/api/v1/filter-keys')).data.keys;
    check(Array.isArray(keys) && keys.length >= 20, `GET /api/v1/filter-keys gave ${JSON.stringify(keys)}`);
    const boxes = form.locator('input[type=checkbox][data-testid^="filter-key-"]');
    check(await boxes.count() === keys.length, `${await boxes.count()} filter checkboxes for ${keys.length} keys`);
    check(await tid('filter-summary').getAttribute('data-mode') === 'all', 'a new destination does not start with every packet');
    check(await tid('dest-port').isHidden(), 'the port field shows for REST');
    await tid('dest-method').selectOption('binary');
    check(await tid('dest-port').isVisible() && await tid('dest-format').isHidden(),
      'binary mode (figure 4) does not show a port and hide the format');
    await tid('dest-method').selectOption('rest');
    await tid('dest-name').fill(DEST);
    await tid('dest-host').fill('www.sample.com'); // no http://: the server must refuse it (figure 1)
    await tid('dest-custom-tags').fill('accountID:"123456"');
    await tid('filter-select-none').click();
    check(await boxes.evaluateAll((bs) => bs.every((b) => !b.checked)), '"Select none" left boxes ticked');
    for (const k of FILTER) await tid(`filter-key-${k}`).check();
    check(await tid('filter-summary').getAttribute('data-mode') === 'some', 'the filter summary does not show a selection');
    await tid('dest-save').click();
    await waitUntil('the 400 reason beside the host field', async () =>
      (await tid('field-error-host').isVisible()) && (await tid('field-error-host').textContent()));
    log(`host refused as expected: "${await tid('field-error-host').textContent()}"`);
    await tid('dest-host').fill(`http://127.0.0.1:${recvPort}/api/datapacket`);
    await tid('dest-save').click();
    const destRow = page.locator(`[data-testid="dest-row"][data-name="${DEST}"]`);
    await destRow.waitFor();
    const destId = Number(await destRow.getAttribute('data-id'));
    const saved = (await apiAs(adminToken, 'GET', `/api/v1/destinations/${destId}`)).data;
    check(JSON.stringify([...saved.filter].sort()) === JSON.stringify([...FILTER].sort()),
      `the saved filter is ${JSON.stringify(saved.filter)}`);
    check(saved.customTags === 'accountID:"123456"' && saved.method === 'rest', `saved destination: ${JSON.stringify(saved)}`);
    log(`destination ${destId} created with filter ${JSON.stringify(saved.filter)}`);

    // --- set it against location Depot (figure 6)
    await tid('nav-locations').click();
    const depot = page.locator('[data-testid="loc-row"][data-name="Depot"]');
    await depot.getByTestId('loc-edit').click();
    await page.locator(`[data-testid="loc-dest"][data-name="${DEST}"]`).check();
    await tid('loc-save').click();
    await waitUntil('Depot forwarding to the destination', async () =>
      (await depot.getByTestId('loc-destinations').textContent()).includes(DEST));
    check(await num(depot.getByTestId('loc-devices')) === 1, 'Depot does not count its device');
    log('Depot forwards to the destination');

    // --- packets flow
    await tid('nav-queues').click();
    const row = page.locator(`[data-testid="queue-row"][data-name="${DEST}"]`);
    await row.waitFor();
    await waitUntil('the store\'s size above the queues', async () =>
      /^Store: [0-9.]+ MiB in use/.test(await tid('store-room').textContent()));
    // The queue's history (in memory, a sample every 10 s): one sample before the packets, so
    // the delivery rate after them is measured from it.
    const chart = page.locator(`[data-testid="queue-chart"][data-name="${DEST}"]`);
    await waitUntil('a history sample of the destination before the packets', async () =>
      Number(await chart.getByTestId('chart-depth').getAttribute('data-points')) >= 2);
    await simulate();
    log('simulate: 40 packets acknowledged');
    // The dashboard follows the API every 2 s, so what it shows right after simulate returns
    // may be a poll taken while the packets were still arriving (all delivered so far, queue
    // empty, but not all of them): wait until every packet is counted, not just an empty queue.
    const flowed = await waitUntil(`every one of the 40 packets sent and the ${derived} derived ` +
      'delivered or filtered out on the dashboard, queue empty', async () => {
      const delivered = await num(row.getByTestId('queue-delivered'));
      const filtered = await num(row.getByTestId('queue-filtered'));
      const depth = await num(row.getByTestId('queue-depth'));
      const queued = await num(row.getByTestId('queue-queued'));
      return {ok: delivered > 0 && depth === 0 && delivered === queued && delivered + filtered === 40 + derived,
        delivered, filtered, depth, queued};
    });
    const filtered = flowed.filtered;
    log(`dashboard: ${flowed.delivered} delivered, ${filtered} filtered out, state ${await row.getAttribute('data-state')}`);
    await waitUntil('the receiver to print every delivered packet', async () =>
      receiver.stdout.filter((l) => l.startsWith('{')).length >= flowed.delivered);

    // --- the charts: depth and delivery rate as inline SVG, with the deliveries drawn above 0
    const drawn = await waitUntil('the delivery rate chart drawing the deliveries', async () => {
      const c = await chart.evaluate((el) => {
        const of = (id) => {
          const svg = el.querySelector(`svg[data-testid="${id}"]`);
          const line = svg && svg.querySelector('polyline');
          const ys = line ? line.getAttribute('points').trim().split(/\s+/).map((p) => Number(p.split(',')[1])) : [];
          const base = svg ? Number(svg.querySelector('line.chart-axis').getAttribute('y1')) : 0;
          return {points: Number(svg && svg.getAttribute('data-points')), drawn: ys.length, above: ys.filter((y) => y < base - 0.5).length};
        };
        return {depth: of('chart-depth'), rate: of('chart-rate')};
      });
      return {ok: c.depth.points >= 2 && c.depth.drawn === c.depth.points && c.rate.above >= 1, ...c};
    });
    const hist = (await apiAs(adminToken, 'GET', '/api/v1/queues/history')).data;
    const histQ = hist.queues.find((q) => q.name === DEST);
    check(histQ && histQ.points[histQ.points.length - 1].delivered === flowed.delivered,
      `the history's last point is not the ${flowed.delivered} delivered: ${JSON.stringify(histQ).slice(0, 300)}`);
    await tid('queue-charts-range-day').click();
    await waitUntil('the day range drawn', async () =>
      (await chart.getAttribute('data-range')) === 'day' &&
      Number(await chart.getByTestId('chart-depth').getAttribute('data-points')) >= 1);
    await tid('queue-charts-range-hour').click();
    await waitUntil('the hour range drawn again', async () => (await chart.getAttribute('data-range')) === 'hour');
    await tid('queue-charts-section').screenshot({path: path.join(outDir, 'charts.png')});
    log(`charts: depth ${drawn.depth.points} points, rate ${drawn.rate.points} (${drawn.rate.above} above 0); screenshot ${path.join(outDir, 'charts.png')}`);

    // --- an admin resets the device's sequence mark (a new or wiped tracker), audited
    await tid('nav-devices').click();
    const devRow = page.locator(`[data-testid="dev-row"][data-serial="${serial}"]`);
    await devRow.waitFor();
    check(await num(devRow.getByTestId('dev-last-sequence')) === 40, 'the device does not show its last sequence, 40');
    await devRow.getByTestId('dev-reset-sequence').click();
    await tid('confirm-ok').click();
    await waitUntil('the last sequence shown as 0', async () => (await num(devRow.getByTestId('dev-last-sequence'))) === 0);
    const reset = (await apiAs(adminToken, 'GET', `/api/v1/devices/${serial}`)).data;
    check(reset.lastSequence === 0, `after the reset the device is ${JSON.stringify(reset)}`);
    const audited = (await apiAs(adminToken, 'GET', '/api/v1/audit')).data.entries || [];
    check(audited.some((e) => e.action === 'device.reset-sequence' && e.target === `device ${serial}`),
      'no device.reset-sequence row in the audit log');
    log('sequence mark reset from the console, audited');

    // --- company cards (issue 12): add one (the server refuses a bad number first), an expired
    // one shows red, the device gets its card on its page, a card bridge's key is shown once
    await tid('nav-cards').click();
    await tid('card-new').click();
    await tid('card-number').fill('B 0001');
    await tid('card-name').fill('Depot card');
    await page.locator('[data-testid="card-location"][data-name="Depot"]').check();
    await tid('card-expires-input').fill('2099-12-31');
    await tid('card-save').click();
    await waitUntil('the 400 reason beside the card number', async () =>
      (await tid('field-error-number').isVisible()) && (await tid('field-error-number').textContent()));
    await tid('card-number').fill(CARD);
    await tid('card-save').click();
    const cardRow = page.locator(`[data-testid="card-row"][data-number="${CARD}"]`);
    await cardRow.waitFor();
    check(await cardRow.getAttribute('data-online') === 'false', 'a card shows online without a relay');
    check(await cardRow.getAttribute('data-expired') === 'false', 'a card of 2099 shows expired');
    const added = (await apiAs(adminToken, 'GET', `/api/v1/cards/${CARD}`)).data;
    check(added.name === 'Depot card' && added.expiresOn === '2099-12-31' && added.locationIds.length === 1,
      `the saved card is ${JSON.stringify(added)}`);
    check((await apiAs(adminToken, 'POST', '/api/v1/cards', {number: 'OLD1', expiresOn: '2001-01-31'})).status === 201,
      'the expired card was not created');
    const oldRow = page.locator('[data-testid="card-row"][data-number="OLD1"]');
    await oldRow.waitFor(); // the list follows the API every 2 s
    check(await oldRow.getByTestId('card-expires').evaluate((e) => e.classList.contains('error-text')),
      'an expired card is not shown in red');
    await page.screenshot({path: path.join(outDir, 'cards.png'), fullPage: true});
    await cardRow.getByTestId('card-open').click();
    await tid('card-detail').waitFor();
    check(await tid('card-sessions').locator('[data-testid="session-row"]').count() === 0, 'a new card has sessions');
    log(`card ${CARD} added; OLD1 shown expired`);

    await tid('nav-devices').click();
    await devRow.getByTestId('dev-open').click();
    await tid('dev-detail').waitFor();
    await tid('dev-company-card-select').selectOption(CARD);
    await tid('dev-company-card-save').click();
    await waitUntil('the device showing its company card', async () =>
      (await tid('dev-company-card').textContent()) === CARD);
    check((await apiAs(adminToken, 'GET', `/api/v1/devices/${serial}`)).data.companyCard === CARD,
      'the device has not got its company card');
    log(`device ${serial} uses card ${CARD}`);
    // Its last seen time and last packets, each with its destination's delivery.
    const seenAt = await tid('dev-last-seen').getAttribute('data-at');
    check(seenAt && Math.abs(Date.parse(seenAt) - Date.now()) < 10 * 60_000, `the device's last seen time is ${seenAt}`);
    const lastRows = page.locator('[data-testid="dev-last-packet"]');
    const lastWanted = Math.min(10, flowed.delivered);
    check(await lastRows.count() === lastWanted, `the device page shows ${await lastRows.count()} last packets, not ${lastWanted}`);
    check((await lastRows.first().textContent()).includes(`${DEST}: delivered`),
      `the newest packet's delivery is not shown: ${await lastRows.first().textContent()}`);
    await tid('dev-files-empty').waitFor();  // tachograph files: none uploaded by this device

    // --- download compliance: the device has no vehicle-unit file yet ("never")
    await tid('nav-compliance').click();
    await waitUntil('the compliance page listing the device as never downloaded', async () =>
      (await page.locator(`[data-testid="compliance-row"][data-status="never"]`).filter({hasText: serial}).count()) === 1);

    await tid('nav-card-bridges').click();
    await tid('bridge-new').click();
    await tid('bridge-ident').fill('office-1');
    await tid('bridge-description').fill('Fleet office');
    await tid('bridge-save').click();
    await tid('key-once').waitFor();
    const bridgeKey = await tid('key-once-value').inputValue();
    check(/^[0-9a-f]{64}$/.test(bridgeKey), `the generated bridge key shown is ${JSON.stringify(bridgeKey)}`);
    await tid('key-once-close').click();
    const bridgeRow = page.locator('[data-testid="bridge-row"][data-ident="office-1"]');
    await bridgeRow.waitFor();
    check(await bridgeRow.getAttribute('data-connected') === 'false', 'a bridge shows connected without a relay');
    await bridgeRow.getByTestId('bridge-genkey').click();
    await tid('confirm-ok').click();
    await tid('key-once').waitFor();
    check((await tid('key-once-value').inputValue()) !== bridgeKey, 'the rotated key is the old one');
    await tid('key-once-close').click();
    const bridgeAudit = (await apiAs(adminToken, 'GET', '/api/v1/audit')).data.entries || [];
    check(['card.create', 'card-bridge.create', 'card-bridge.rotate-key'].every((a) => bridgeAudit.some((e) => e.action === a)),
      'the card and bridge changes are not all in the audit log');
    log('card bridge office-1 registered, its key shown once and rotated');
    await tid('nav-queues').click();
    await row.waitFor();

    // --- the receiver goes away: backing off, with the error
    await receiver.stop('SIGKILL');
    log('receiver killed');
    await simulate();
    const backing = await waitUntil('the destination backing off with its error', async () => {
      const st = await row.getAttribute('data-state');
      const err = (await row.getByTestId('queue-last-error').innerText()).split('\n')[0].trim();
      const text = (await row.getByTestId('queue-state').textContent()).trim();
      return {ok: st === 'backing-off' && err.length > 0 && text.startsWith('backing off'), st, err, text};
    });
    log(`dashboard: "${backing.text}", error "${backing.err}"`);
    const deadBefore = await num(row.getByTestId('queue-dead'));

    // --- drill down: blocking entry first, then skip it with a reason
    await row.getByTestId('queue-open').click();
    await tid('queue-detail-charts').locator('[data-testid="queue-chart"] svg[data-testid="chart-depth"]').waitFor();
    await tid('queue-blocking').waitFor();
    const blockingId = await tid('queue-blocking').getAttribute('data-id');
    await waitUntil('the blocking entry\'s error', async () => (await tid('queue-blocking-error').textContent()).startsWith('Last error'));
    await tid('queue-skip').click();
    await tid('skip-ok').click(); // no reason: refused in the page
    check(await tid('skip-dialog').isVisible(), 'skip went ahead without a reason');
    await tid('skip-input').fill(SKIP_REASON);
    await tid('skip-ok').click();
    await waitUntil('the dead-letter counter to rise', async () =>
      (await num(tid('queue-dead-detail'))) === deadBefore + 1);
    log(`entry ${blockingId} skipped`);
    await tid('entries-filter-state').selectOption('dead');
    await tid('entries-apply').click();
    const deadRow = page.locator(`[data-testid="entry-row"][data-id="${blockingId}"]`);
    await deadRow.click();
    await tid('entry-detail').waitFor();
    check((await tid('entry-state').textContent()) === 'dead', 'the skipped entry is not dead');
    check((await tid('entry-reason').textContent()).includes(SKIP_REASON), 'the skipped entry does not carry the reason');
    const packetJson = JSON.parse(await tid('entry-packet').textContent());
    check(typeof packetJson === 'object' && packetJson !== null && 'type' in packetJson,
      `the entry's decoded packet is ${JSON.stringify(packetJson)}`);
    check(await tid('entry-history').locator('tbody tr').count() >= 1, 'the skipped entry shows no attempt history');

    // --- the dashboard, for the record
    await tid('queue-back').click();
    await waitUntil('the dashboard to show the dead letter', async () =>
      (await num(row.getByTestId('queue-dead'))) === deadBefore + 1 && (await row.getAttribute('data-state')) === 'backing-off');
    await page.screenshot({path: path.join(outDir, 'dashboard.png'), fullPage: true});
    log(`screenshot ${path.join(outDir, 'dashboard.png')}`);

    await tid('nav-drivers').click();
    await waitUntil('the drivers page (a table, or no driver yet)', async () =>
      (await page.locator('[data-testid="drivers-table"], [data-testid="drivers-empty"]').count()) === 1);

    await tid('nav-audit').click();
    await waitUntil('the audit log to show the changes', async () =>
      (await page.locator('[data-testid="audit-row"]').count()) >= 3);

    // --- the auditor sees everything and can do nothing
    await tid('signout').click();
    await tid('signin-token').waitFor();
    check(await page.evaluate(() => sessionStorage.getItem('dcgw.token')) === null, 'sign-out left the token in sessionStorage');
    await tid('signin-token').fill(auditorToken);
    await tid('signin-submit').click();
    await waitUntil('role auditor shown', async () => (await tid('whoami-role').textContent()) === 'auditor');
    await page.reload(); // the token is kept for the tab
    await waitUntil('still signed in after a reload', async () => (await tid('whoami-role').textContent()) === 'auditor');
    const noActions = async (where) => {
      for (const id of ACTION_TESTIDS) {
        const n = await page.locator(`[data-testid="${id}"]:visible`).count();
        check(n === 0, `auditor: ${n} visible "${id}" on ${where}`);
        check(await page.locator(`[data-testid="${id}"]`).count() === 0 || id === 'nav-tokens',
          `auditor: "${id}" is in the page on ${where} (hidden controls must not be rendered)`);
      }
    };
    await tid('nav-queues').click();
    await row.waitFor();
    await noActions('the dashboard');
    await row.getByTestId('queue-open').click();
    await tid('queue-detail').waitFor();
    await tid('queue-blocking-section').waitFor();
    await noActions('the queue page');
    await tid('nav-destinations').click();
    await destRow.waitFor();
    await noActions('destinations');
    await tid('nav-locations').click();
    await depot.waitFor();
    await noActions('locations');
    await tid('nav-devices').click();
    await page.locator(`[data-testid="dev-row"][data-serial="${serial}"]`).waitFor();
    await noActions('devices');
    await page.locator(`[data-testid="dev-row"][data-serial="${serial}"]`).getByTestId('dev-open').click();
    await tid('dev-detail').waitFor();
    await noActions('the device page');
    await tid('nav-cards').click();
    await page.locator(`[data-testid="card-row"][data-number="${CARD}"]`).waitFor();
    await noActions('the cards');
    await page.locator(`[data-testid="card-row"][data-number="${CARD}"]`).getByTestId('card-open').click();
    await tid('card-detail').waitFor();
    await noActions('the card page');
    await tid('nav-card-bridges').click();
    await page.locator('[data-testid="bridge-row"][data-ident="office-1"]').waitFor();
    await noActions('the card bridges');
    await tid('nav-audit').click();
    await page.locator('[data-testid="audit-row"]').first().waitFor();
    await noActions('the audit log');
    const r1 = await page.evaluate(async ([u, t]) => (await fetch(u, {method: 'POST', headers: {Authorization: `Bearer ${t}`}})).status,
      [`${base}/api/v1/queues/${destId}/retry`, auditorToken]);
    check(r1 === 403, `POST /queues/${destId}/retry with the auditor token gave ${r1}, not 403`);
    const r2 = await apiAs(auditorToken, 'POST', '/api/v1/destinations', {name: 'x', method: 'rest', host: 'http://127.0.0.1:1/'});
    check(r2.status === 403, `POST /destinations with the auditor token gave ${r2.status}, not 403`);
    log('auditor: no action controls, POST refused with 403');

    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  } catch (e) {
    if (page) {
      try {
        await page.screenshot({path: path.join(outDir, 'failure.png'), fullPage: true});
        console.error(`console_test: page ${page.url()}, screenshot ${path.join(outDir, 'failure.png')}`);
      } catch { /* the page is gone */ }
    }
    throw e;
  } finally {
    await browser.close().catch(() => {});
    await serve.stop('SIGTERM');
    await receiver.stop('SIGKILL');
  }
  fs.rmSync(work, {recursive: true, force: true});
  workDir = null;
}

runTest(main, TOTAL_TIMEOUT_MS, () => (workDir ? `database and config kept in ${workDir}` : null));
