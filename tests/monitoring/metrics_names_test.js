#!/usr/bin/env node
// The Grafana dashboard and the Prometheus alert rules cannot drift from the code: every metric
// their expressions name (and every series the rules' unit tests feed promtool) is one a real
// `dcgw serve` exposes on /metrics, with the labels they select on.
//
//   node tests/monitoring/metrics_names_test.js <path-to-dcgw> <source dir>
//
// YAML is read with js-yaml from tests/contract/node_modules (`npm ci --prefix tests/contract`,
// as ./dev.sh test does).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [dcgwArg, srcArg] = process.argv.slice(2);
if (!dcgwArg || !srcArg) {
  console.error('usage: node tests/monitoring/metrics_names_test.js <path-to-dcgw> <source dir>');
  process.exit(2);
}
let yaml;
try {
  yaml = require(path.join(__dirname, '..', 'contract', 'node_modules', 'js-yaml'));
} catch (e) {
  console.error('metrics_names_test: FAILED: js-yaml is not installed: run `npm ci --prefix tests/contract`');
  process.exit(1);
}
const src = path.resolve(srcArg);
const {log, start, runOk, check, runTest} =
  require('../support/dcgw_processes.js')(path.resolve(dcgwArg), 'metrics_names_test');
let workDir = null;

// Labels Prometheus adds to every scraped series (not the gateway's).
const TARGET_LABELS = new Set(['job', 'instance']);

// Every dcgw_ metric an expression names, with the label names its selector matches on.
function selectors(expr, where, out) {
  const re = /\b(dcgw_[A-Za-z0-9_]+)\s*(\{([^}]*)\})?/g;
  for (let m; (m = re.exec(expr));) {
    const labels = [];
    for (const l of (m[3] || '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.push(l[1]);
    out.push({name: m[1], labels, where});
  }
  return out;
}

function dashboardSelectors(file) {
  const d = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = [];
  const walk = (panels) => {
    for (const p of panels || []) {
      for (const t of p.targets || []) selectors(t.expr || '', `dashboard panel "${p.title}"`, out);
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const v of (d.templating || {}).list || []) {
    const q = typeof v.query === 'string' ? v.query : (v.query || {}).query || '';
    selectors(q, `dashboard variable "${v.name}"`, out);
    selectors(v.definition || '', `dashboard variable "${v.name}"`, out);
  }
  return out;
}

function ruleSelectors(rulesFile, testFile) {
  const rules = yaml.load(fs.readFileSync(rulesFile, 'utf8'));
  const out = [];
  let n = 0;
  for (const g of rules.groups || []) {
    for (const r of g.rules || []) {
      n++;
      selectors(String(r.expr), `rule ${r.alert || r.record}`, out);
    }
  }
  check(n > 0, `${rulesFile} has no rules`);
  const tests = yaml.load(fs.readFileSync(testFile, 'utf8'));
  for (const t of tests.tests || []) {
    for (const s of t.input_series || []) selectors(s.series, `rule test "${t.name}"`, out);
  }
  return out;
}

// name -> set of label names, from the exposition's samples and # TYPE lines.
function exposed(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const names = type[2] === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => type[1] + s) : [type[1]];
      for (const n of names) if (!m.has(n)) m.set(n, new Set());
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const s = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s/.exec(line);
    if (!s) continue;
    if (!m.has(s[1])) m.set(s[1], new Set());
    for (const l of (s[3] || '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) m.get(s[1]).add(l[1]);
  }
  return m;
}

async function main() {
  const dash = dashboardSelectors(path.join(src, 'etc', 'grafana', 'dcgw.json'));
  const rules = ruleSelectors(path.join(src, 'etc', 'prometheus', 'dcgw-rules.yml'),
    path.join(src, 'etc', 'prometheus', 'dcgw-rules.test.yml'));
  const names = (list) => new Set(list.map((s) => s.name));
  // The files name many metrics: a parser that found few has missed them.
  check(names(dash).size >= 15, `only ${names(dash).size} metrics found in the dashboard: ${[...names(dash)]}`);
  check(names(rules).size >= 7, `only ${names(rules).size} metrics found in the rules: ${[...names(rules)]}`);

  // A gateway with every listener whose metrics the files use: the uplink, Teltonika, ingest,
  // and a destination (its per-destination series).
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcgw-metrics-names-'));
  const db = path.join(workDir, 'dcgw.db');
  const cfg = path.join(workDir, 'dcgw.json');
  fs.writeFileSync(cfg, JSON.stringify({
    store: {synchronous: 'normal', retentionDays: 7},
    uplink: {bind: '127.0.0.1', port: 0},
    teltonika: {enabled: true, bind: '127.0.0.1', port: 0, udp: false},
    admin: {bind: '127.0.0.1', port: 0},
    destinations: [{name: 'Fleet REST', method: 'rest', host: 'http://127.0.0.1:9/api/datapacket', filter: null}],
    locations: [{name: 'Depot', destinations: ['Fleet REST']}],
    devices: [],
  }, null, 2));
  const token = (await runOk(['token', 'create', '--role', 'auditor', '--name', 'prometheus', '--db', db])).stdout.trim();
  const serve = start('dcgw serve', ['serve', '--db', db, '--config', cfg, '--uplink-port', '0',
    '--admin-port', '0', '--stats-seconds', '0']);
  await serve.waitLine(/teltonika listening on/);
  const base = (await serve.waitLine(/admin API on (https?:\/\/[^\s]+)/))[1].replace(/\/$/, '');
  const res = await fetch(`${base}/metrics`, {headers: {Authorization: `Bearer ${token}`}});
  check(res.status === 200, `GET /metrics: ${res.status}`);
  const have = exposed(await res.text());
  log(`/metrics exposes ${have.size} names; the dashboard uses ${names(dash).size}, the rules ${names(rules).size}`);

  const problems = [];
  for (const s of [...dash, ...rules]) {
    if (!have.has(s.name)) {
      problems.push(`${s.where}: ${s.name} is not exposed by dcgw serve`);
      continue;
    }
    for (const l of s.labels) {
      if (!TARGET_LABELS.has(l) && !have.get(s.name).has(l)) {
        problems.push(`${s.where}: ${s.name} has no label "${l}" (it has: ${[...have.get(s.name)].join(', ') || 'none'})`);
      }
    }
  }
  check(problems.length === 0, `the monitoring files and /metrics disagree:\n  ${[...new Set(problems)].join('\n  ')}`);
  await serve.stop();
}

runTest(main, 60_000, () => null);
process.on('exit', () => { if (workDir) fs.rmSync(workDir, {recursive: true, force: true}); });
