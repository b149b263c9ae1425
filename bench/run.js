#!/usr/bin/env node
// HTTP benchmark: each selected server (bench/servers.js) on its own free port, one after the other, measured with
// wrk; prints req/s, p50/p99 latency and each server's ratio to its baseline, saves the results as JSON in
// bench/results/, and exits 1 when a gated server (wasmx) falls below --min-ratio of its baseline (native).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const wrk = require('./wrk');
const { servers: ALL_SERVERS } = require('./servers');

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results');

const USAGE = `usage: npm run bench -- [options]     (or: node bench/run.js [options])

  -d, --duration S       seconds of measurement per server (default 10)
  -c, --connections N    wrk connections (default 50)
  -t, --threads N        wrk threads (default 1)
      --warmup S         seconds of unmeasured load before each measurement (default 2; 0 = none)
      --rounds N         measure every server N times, alternating servers; report the median (default 1)
      --only A,B         servers to run (default: ${ALL_SERVERS.filter((s) => s.default).map((s) => s.name).join(',')})
      --min-ratio R      fail when a gated server's req/s < R x its baseline's (default 0.85)
      --max-cpu-ratio R  also fail when a gated server's CPU time per response > R x its baseline's (default: off;
                         steadier than req/s when wrk or other processes, not the server, limit the rate)
      --json             print the results as JSON instead of the table
      --no-save          do not write bench/results/<timestamp>.json
      --list             list the servers and exit
  -h, --help

Exit status: 0 ok; 1 a gated server is below --min-ratio (or above --max-cpu-ratio) or a server made unexpected
errors; 2 the benchmark
could not run (bad option, missing wrk, a server that does not build or start).
`;

class UsageError extends Error {}

function parseArgs(argv) {
  const o = { duration: 10, connections: 50, threads: 1, warmup: 2, rounds: 1, only: null, minRatio: 0.85, maxCpuRatio: null, json: false, save: true, list: false };
  const num = (flag, v, { int = false, min = 0 } = {}) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new UsageError(`${flag} needs ${int ? 'an integer' : 'a number'} >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline;
    if (a.startsWith('--') && a.includes('=')) [a, inline] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    const val = () => (inline !== undefined ? inline : argv[++i]);
    switch (a) {
      case '-d': case '--duration': o.duration = num(a, val(), { int: true, min: 1 }); break;
      case '-c': case '--connections': o.connections = num(a, val(), { int: true, min: 1 }); break;
      case '-t': case '--threads': o.threads = num(a, val(), { int: true, min: 1 }); break;
      case '--warmup': o.warmup = num(a, val(), { int: true, min: 0 }); break;
      case '--rounds': o.rounds = num(a, val(), { int: true, min: 1 }); break;
      case '--min-ratio': o.minRatio = num(a, val()); break;
      case '--max-cpu-ratio': o.maxCpuRatio = num(a, val()); break;
      case '--only': {
        const v = val();
        if (!v) throw new UsageError('--only needs a list of servers');
        o.only = v.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      }
      case '--json': o.json = true; break;
      case '--no-save': o.save = false; break;
      case '--list': o.list = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  if (o.connections < o.threads) throw new UsageError('--connections must be at least --threads (wrk needs a connection per thread)');
  return o;
}

function selectServers(only) {
  if (!only) return ALL_SERVERS.filter((s) => s.default);
  const unknown = only.filter((n) => !ALL_SERVERS.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`unknown server ${unknown.join(', ')} (known: ${ALL_SERVERS.map((s) => s.name).join(', ')})`);
  return ALL_SERVERS.filter((s) => only.includes(s.name));
}

// Messages go to stderr so that --json output on stdout stays parseable.
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Servers still running, killed on every way out (including Ctrl-C).
const live = new Set();

function killTree(child, signal) {
  try {
    process.kill(-child.pid, signal); // its own process group (spawned detached)
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

function startServer(server, port, ctx) {
  const spec = server.start(port, ctx);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd ?? ROOT,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const handle = { child, port, stderr: '', exited: null, command: [spec.command, ...spec.args].join(' ') };
  child.stderr.on('data', (d) => {
    if (handle.stderr.length < 64 * 1024) handle.stderr += d;
  });
  handle.done = new Promise((resolve) => {
    child.on('error', (e) => { handle.exited = `could not start: ${e.message}`; resolve(); });
    child.on('exit', (code, signal) => { handle.exited = signal ? `killed by ${signal}` : `exit ${code}`; resolve(); });
  });
  live.add(handle);
  return handle;
}

async function stopServer(handle) {
  if (!live.delete(handle)) return;
  if (handle.exited === null) {
    killTree(handle.child, 'SIGTERM');
    const t = setTimeout(() => killTree(handle.child, 'SIGKILL'), 2000);
    await handle.done;
    clearTimeout(t);
  }
}

process.on('exit', () => {
  wrk.killAll();
  for (const h of live) if (h.exited === null) killTree(h.child, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping the servers`);
    process.exit(130);
  });
}

/** One HTTP request; resolves with the status code once the response head has arrived. */
function probe(port, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    const fail = (e) => { sock.destroy(); reject(e); };
    sock.setTimeout(timeoutMs, () => fail(new Error('no response')));
    sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(buf);
      if (m && buf.includes('\r\n\r\n')) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    // A server that closes without reading the request may reset the connection after its response.
    sock.on('error', (e) => (buf ? sock.emit('end') : fail(e)));
    sock.on('end', () => fail(new Error(buf ? `not an HTTP response: ${JSON.stringify(buf.slice(0, 80))}` : 'closed without a response')));
  });
}

/** Waits until the server answers an HTTP request with 200 (or gives up, or the server exits). */
async function waitReady(handle, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    if (handle.exited !== null) throw new Error(`it stopped before accepting connections (${handle.exited})`);
    try {
      const status = await probe(handle.port);
      if (status === 200) return;
      last = new Error(`it answered ${status}, not 200`);
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`no HTTP 200 within ${timeoutMs / 1000} s (last: ${last.message})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// CPU accounting (Linux /proc; null elsewhere): the server's own CPU time per request is steadier than req/s on a
// shared or saturated machine, where req/s also measures wrk and the neighbours.
const CLK_TCK = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime, all threads
  } catch {
    return null;
  }
}
function machineCpu() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Starts `server`, waits for it, warms it up, measures it, stops it. */
async function measureOnce(server, ctx, opts) {
  const port = await freePort();
  const handle = startServer(server, port, ctx);
  try {
    try {
      await waitReady(handle, 30_000);
    } catch (e) {
      throw new Error(`${server.name} (${handle.command}): ${e.message}${handle.stderr ? `\n${handle.stderr.trim()}` : ''}`);
    }
    const url = `http://127.0.0.1:${port}/`;
    const wrkOpts = { threads: opts.threads, connections: opts.connections };
    if (opts.warmup > 0) await wrk.run(url, { ...wrkOpts, durationS: opts.warmup });
    const cpu0 = processCpuMs(handle.child.pid);
    const m0 = machineCpu();
    const r = await wrk.run(url, { ...wrkOpts, durationS: opts.duration });
    const cpu1 = processCpuMs(handle.child.pid);
    const m1 = machineCpu();
    if (handle.exited !== null) throw new Error(`${server.name} stopped during the measurement (${handle.exited})${handle.stderr ? `\n${handle.stderr.trim()}` : ''}`);
    // Server CPU per response (µs), and how busy the whole machine was (1 = every CPU saturated).
    r.serverCpuUsPerReq = cpu0 !== null && cpu1 !== null && r.requests > 0 ? ((cpu1 - cpu0) * 1000) / r.requests : null;
    r.serverCpuCores = cpu0 !== null && cpu1 !== null && r.durationS > 0 ? (cpu1 - cpu0) / 1000 / r.durationS : null;
    r.machineBusy = m0 && m1 && m1.total > m0.total ? 1 - (m1.idle - m0.idle) / (m1.total - m0.total) : null;
    return r;
  } finally {
    await stopServer(handle);
  }
}

function summarize(server, runs) {
  // The median round by req/s stands for the server (its latencies come from that same round).
  const byRps = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = byRps[(byRps.length - 1) >> 1];
  return {
    name: server.name,
    kind: server.kind,
    compareTo: server.compareTo ?? null,
    gated: !!server.gated,
    rps: runs.length === 1 ? mid.rps : median(runs.map((r) => r.rps)),
    latencyMs: mid.latencyMs,
    requests: mid.requests,
    errors: mid.errors,
    non2xx3xx: mid.non2xx3xx,
    unexpectedErrors: wrk.unexpectedErrors(mid),
    serverCpuUsPerReq: mid.serverCpuUsPerReq,
    serverCpuCores: mid.serverCpuCores,
    machineBusy: mid.machineBusy,
    rounds: runs.map((r) => ({ rps: r.rps, p50: r.latencyMs.p50, p99: r.latencyMs.p99, requests: r.requests, errors: r.errors,
      serverCpuUsPerReq: r.serverCpuUsPerReq, machineBusy: r.machineBusy })),
    wrk: mid.command,
    ratio: null,
    cpuPerReqRatio: null,
  };
}

const cpuRegressed = (r, opts) => r.gated && opts.maxCpuRatio !== null && r.cpuPerReqRatio !== null && r.cpuPerReqRatio > opts.maxCpuRatio;

function fmtTable(results, opts) {
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const rows = [['server', 'req/s', 'p50 ms', 'p99 ms', 'cpu us/req', 'ratio', 'errors', '']];
  for (const r of results) {
    let verdict = '';
    if (r.gated && r.ratio !== null && r.ratio < opts.minRatio) verdict = `REGRESSION: below ${opts.minRatio}`;
    if (cpuRegressed(r, opts)) verdict = [verdict, `REGRESSION: CPU/response above ${opts.maxCpuRatio} x`].filter(Boolean).join(', ');
    if (r.unexpectedErrors > 0) verdict = [verdict, 'UNEXPECTED ERRORS'].filter(Boolean).join(', ');
    rows.push([r.name, Math.round(r.rps).toString(), f(r.latencyMs.p50), f(r.latencyMs.p99), f(r.serverCpuUsPerReq ?? NaN, 1),
      r.ratio === null ? '-' : `${f(r.ratio)} x ${r.compareTo}`, String(r.unexpectedErrors), verdict]);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 || c >= 5 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join('  ').trimEnd()).join('\n');
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    if (opts.list) {
      for (const s of ALL_SERVERS) process.stdout.write(`${s.name.padEnd(10)} ${s.default ? '(default) ' : ''}${s.description}\n`);
      return 0;
    }
    opts.servers = selectServers(opts.only);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (!wrk.available()) {
    log('wrk is not installed (node scripts/setup-test-deps.js installs it; Debian package wrk)');
    return 2;
  }

  // Build everything first, so that no compiler runs during a measurement.
  const ctx = { root: ROOT, binaries: {}, log };
  for (const s of opts.servers) {
    try {
      await s.prepare?.(ctx);
    } catch (e) {
      log(`cannot prepare ${s.name}: ${e.message}`);
      return 2;
    }
  }

  const loadBefore = os.loadavg();
  if (loadBefore[0] > os.cpus().length / 2) log(`note: load average ${loadBefore[0].toFixed(2)} on ${os.cpus().length} CPUs; numbers will be noisy`);
  const runs = new Map(opts.servers.map((s) => [s.name, []]));
  const total = opts.servers.length * opts.rounds * (opts.duration + opts.warmup);
  log(`${opts.servers.map((s) => s.name).join(', ')}: wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s` +
    `${opts.warmup ? ` after ${opts.warmup}s warm-up` : ''}${opts.rounds > 1 ? `, ${opts.rounds} rounds` : ''} (about ${total} s)`);
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate the order every round, so that neither server always runs first.
    const order = round % 2 ? [...opts.servers].reverse() : opts.servers;
    for (const s of order) {
      try {
        const r = await measureOnce(s, ctx, opts);
        runs.get(s.name).push(r);
        log(`${s.name}${opts.rounds > 1 ? ` round ${round + 1}` : ''}: ${Math.round(r.rps)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
      } catch (e) {
        log(`${e.message}`);
        return 2;
      }
    }
  }

  const results = opts.servers.map((s) => summarize(s, runs.get(s.name)));
  const byName = new Map(results.map((r) => [r.name, r]));
  const notes = [];
  for (const r of results) {
    if (!r.compareTo) continue;
    const base = byName.get(r.compareTo);
    if (base) {
      r.ratio = r.rps / base.rps;
      // >1 = this server spends more CPU per response than its baseline.
      r.cpuPerReqRatio = r.serverCpuUsPerReq && base.serverCpuUsPerReq ? r.serverCpuUsPerReq / base.serverCpuUsPerReq : null;
    }
    else if (r.gated) notes.push(`${r.name}: its baseline ${r.compareTo} was not run, so --min-ratio was not checked`);
  }
  const regressions = results.filter((r) => (r.gated && r.ratio !== null && r.ratio < opts.minRatio) || cpuRegressed(r, opts));
  const erring = results.filter((r) => r.unexpectedErrors > 0);
  const report = {
    date: new Date().toISOString(),
    pass: regressions.length === 0 && erring.length === 0,
    options: { duration: opts.duration, connections: opts.connections, threads: opts.threads, warmup: opts.warmup, rounds: opts.rounds, minRatio: opts.minRatio, maxCpuRatio: opts.maxCpuRatio },
    host: { node: process.version, platform: `${os.type()} ${os.release()} ${os.arch()}`, cpu: os.cpus()[0]?.model, cpus: os.cpus().length, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
    results,
    regressions: regressions.map((r) => ({ name: r.name, ratio: r.ratio, cpuPerReqRatio: r.cpuPerReqRatio, baseline: r.compareTo, minRatio: opts.minRatio, maxCpuRatio: opts.maxCpuRatio })),
    notes,
  };
  if (opts.save) {
    fs.mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `${report.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    report.file = path.relative(ROOT, file);
  }

  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    process.stdout.write(`${fmtTable(results, opts)}\n\n`);
    process.stdout.write(`wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s; load average ${loadBefore[0].toFixed(2)} -> ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs` +
      `${report.file ? `; saved ${report.file}` : ''}\n`);
    const busy = results.map((r) => r.machineBusy).filter((b) => b !== null);
    if (busy.length && Math.max(...busy) > 0.9) {
      process.stdout.write(`note: the machine was ${Math.round(Math.max(...busy) * 100)}% busy during a measurement: req/s is then shared with wrk and ` +
        'other processes; cpu us/req (server CPU per response) is the steadier comparison\n');
    }
    for (const r of results) {
      if (r.cpuPerReqRatio) process.stdout.write(`${r.name}: ${r.cpuPerReqRatio.toFixed(2)} x ${r.compareTo}'s CPU time per response\n`);
    }
    for (const n of notes) process.stdout.write(`note: ${n}\n`);
  }
  for (const r of regressions) {
    if (r.ratio < opts.minRatio) log(`FAIL: ${r.name} reached ${r.ratio.toFixed(2)} x ${r.compareTo} (${Math.round(r.rps)} vs ${Math.round(byName.get(r.compareTo).rps)} req/s), below --min-ratio ${opts.minRatio}`);
    if (cpuRegressed(r, opts)) log(`FAIL: ${r.name} spent ${r.cpuPerReqRatio.toFixed(2)} x ${r.compareTo}'s CPU per response, above --max-cpu-ratio ${opts.maxCpuRatio}`);
  }
  for (const r of erring) log(`FAIL: ${r.name} made ${r.unexpectedErrors} unexpected errors (wrk: ${JSON.stringify(r.errors)}, non-2xx/3xx ${r.non2xx3xx})`);
  return report.pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`internal error: ${e.stack ?? e}`);
    process.exit(2);
  },
);
