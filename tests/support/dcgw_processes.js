// Child processes of a dcgw binary for the JavaScript tests (the console's browser test, the
// admin API's contract test): long-running ones whose output lines can be waited on, short
// commands with a deadline, polling, and a runner that reports the last lines of every child
// and kills them all when the test ends, fails or is interrupted.
'use strict';

const {spawn} = require('node:child_process');

module.exports = function dcgwProcesses(dcgw, testName) {
  const children = new Set();
  const started = []; // every long-running child, for its last lines on failure
  const t0 = Date.now();
  const log = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);

  function killAll(signal = 'SIGKILL') {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        try { c.kill(signal); } catch { /* already gone */ }
      }
    }
  }
  process.on('exit', () => killAll('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => { console.error(`${testName}: FAILED: interrupted by ${sig}`); killAll(); process.exit(1); });
  }

  // A long-running child whose stderr/stdout lines are kept for waiting on and for diagnosis.
  function start(name, args) {
    const proc = spawn(dcgw, args, {stdio: ['ignore', 'pipe', 'pipe']});
    children.add(proc);
    const p = {name, proc, stdout: [], stderr: [], waiters: []};
    started.push(p);
    const feed = (which) => {
      let rest = '';
      return (chunk) => {
        rest += chunk.toString();
        const lines = rest.split('\n');
        rest = lines.pop();
        for (const line of lines) {
          p[which].push(line);
          for (const w of [...p.waiters]) {
            const m = line.match(w.re);
            if (m) { p.waiters.splice(p.waiters.indexOf(w), 1); w.resolve(m); }
          }
        }
      };
    };
    proc.stdout.on('data', feed('stdout'));
    proc.stderr.on('data', feed('stderr'));
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      for (const w of p.waiters) w.reject(new Error(`${name} exited (${signal || code}) before printing ${w.re}`));
      p.waiters = [];
    });
    proc.on('error', (e) => { for (const w of p.waiters) w.reject(new Error(`${name}: ${e.message}`)); });
    p.waitLine = (re, ms = 15_000) => {
      for (const line of [...p.stderr, ...p.stdout]) {
        const m = line.match(re);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const w = {re, resolve, reject};
        p.waiters.push(w);
        setTimeout(() => {
          const i = p.waiters.indexOf(w);
          if (i >= 0) { p.waiters.splice(i, 1); reject(new Error(`${name} did not print ${re} within ${ms} ms`)); }
        }, ms).unref();
      });
    };
    p.stop = (signal = 'SIGTERM', ms = 5000) => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, ms);
      proc.once('exit', () => { clearTimeout(timer); resolve(); });
      proc.kill(signal);
    });
    return p;
  }

  // A short command: resolves with its exit code and output, killed after `ms`.
  function run(args, ms = 30_000) {
    return new Promise((resolve, reject) => {
      const proc = spawn(dcgw, args, {stdio: ['ignore', 'pipe', 'pipe']});
      children.add(proc);
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (c) => { stdout += c; });
      proc.stderr.on('data', (c) => { stderr += c; });
      const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
      proc.on('error', (e) => { clearTimeout(timer); children.delete(proc); reject(e); });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        children.delete(proc);
        resolve({code, signal, stdout, stderr});
      });
    });
  }
  async function runOk(args, ms) {
    const r = await run(args, ms);
    if (r.code !== 0) {
      throw new Error(`dcgw ${args.join(' ')} exited ${r.signal || r.code}:\n${r.stdout}${r.stderr}`);
    }
    return r;
  }

  function check(cond, message) {
    if (!cond) throw new Error(message);
  }
  // Polls fn (async) until it returns a truthy value; fails with what was last seen.
  async function waitUntil(desc, fn, ms = 25_000) {
    const end = Date.now() + ms;
    let last;
    for (;;) {
      try {
        last = await fn();
        if (last && last.ok !== false) return last;
      } catch (e) {
        last = `error: ${e.message.split('\n')[0]}`;
      }
      if (Date.now() > end) {
        throw new Error(`timed out after ${ms} ms waiting for ${desc}` +
          (last !== undefined ? ` (last seen: ${typeof last === 'object' ? JSON.stringify(last) : last})` : ''));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // Runs main() under a deadline; on failure prints each child's last lines and `keep()`'s
  // note (a work directory kept for a look); exits 0 or 1 either way.
  function runTest(main, totalMs, keep = () => null) {
    const timer = setTimeout(() => {
      console.error(`${testName}: FAILED: not finished within ${totalMs / 1000} s`);
      killAll();
      process.exit(1);
    }, totalMs);
    timer.unref();
    main().then(() => {
      log(`${testName}: PASS`);
      killAll();
      process.exit(0);
    }, (e) => {
      for (const p of started) {
        const tail = p.stderr.slice(-12);
        if (tail.length) console.error(`--- last lines of ${p.name} (stderr):\n${tail.join('\n')}`);
      }
      const kept = keep();
      if (kept) console.error(`${testName}: ${kept}`);
      console.error(`${testName}: FAILED: ${e.message}`);
      killAll();
      process.exit(1);
    });
  }

  return {log, killAll, start, run, runOk, check, waitUntil, runTest};
};
