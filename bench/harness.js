// What every HTTP benchmark here shares (bench/run.js, bench/offload-latency.js): free ports, starting and stopping
// servers in their own process group, waiting for an HTTP 200, CPU accounting from /proc, and one measurement
// (start, warm up, wrk, stop). A module: `node bench/harness.js` only prints where to look.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const wrk = require('./wrk');

const ROOT = path.join(__dirname, '..');

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

/** Spawns spec = { command, args, env?, cwd?, shell? } in its own process group; stderr is kept (64 KiB). */
function startServer(spec, port) {
  const child = spec.shell
    ? spawn('/bin/sh', ['-c', spec.shell], { cwd: spec.cwd ?? ROOT, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    : spawn(spec.command, spec.args, { cwd: spec.cwd ?? ROOT, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const handle = { child, port, stderr: '', exited: null, command: spec.shell ?? [spec.command, ...spec.args].join(' ') };
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

let exitHooked = false;
/** Kills wrk and every live server when this process exits or is interrupted; `log` reports the interruption. */
function killOnExit(log) {
  if (exitHooked) return;
  exitHooked = true;
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
}

/** One HTTP request; resolves with the status code once the response head has arrived. */
function probe(port, urlPath = '/', timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    const fail = (e) => { sock.destroy(); reject(e); };
    sock.setTimeout(timeoutMs, () => fail(new Error('no response')));
    sock.on('connect', () => sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
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
async function waitReady(handle, timeoutMs, urlPath = '/') {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    if (handle.exited !== null) throw new Error(`it stopped before accepting connections (${handle.exited})`);
    try {
      const status = await probe(handle.port, urlPath);
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
function pidCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime, all threads
  } catch {
    return null;
  }
}
/** CPU time (ms) of every process in `pgid`'s process group: a server started through a shell or with workers. */
function groupCpuMs(pgid) {
  let total = null;
  let dirs;
  try {
    dirs = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const d of dirs) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue; // field 5: process group
    total = (total ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  }
  return total;
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

/**
 * Starts `server` (a bench/servers.js descriptor), waits for it, warms it up, measures it with wrk, stops it.
 * opts: duration, warmup, threads, connections, path; hooks.beforeStop(handle) runs after the measurement.
 */
async function measureOnce(server, ctx, opts, hooks = {}) {
  const port = await freePort();
  const handle = startServer(server.start(port, ctx), port);
  const urlPath = server.path ?? opts.path ?? '/';
  try {
    try {
      await waitReady(handle, 30_000, urlPath);
    } catch (e) {
      throw new Error(`${server.name} (${handle.command}): ${e.message}${handle.stderr ? `\n${handle.stderr.trim()}` : ''}`);
    }
    const url = `http://127.0.0.1:${port}${urlPath}`;
    const wrkOpts = { threads: opts.threads, connections: opts.connections };
    if (opts.warmup > 0) await wrk.run(url, { ...wrkOpts, durationS: opts.warmup });
    // The whole process group: a server started through a shell (--server) or with worker processes.
    const cpu = () => groupCpuMs(handle.child.pid) ?? pidCpuMs(handle.child.pid);
    const cpu0 = cpu();
    const m0 = machineCpu();
    const r = await wrk.run(url, { ...wrkOpts, durationS: opts.duration });
    const cpu1 = cpu();
    const m1 = machineCpu();
    if (handle.exited !== null) throw new Error(`${server.name} stopped during the measurement (${handle.exited})${handle.stderr ? `\n${handle.stderr.trim()}` : ''}`);
    // Server CPU per response (µs), and how busy the whole machine was (1 = every CPU saturated).
    r.serverCpuUsPerReq = cpu0 !== null && cpu1 !== null && r.requests > 0 ? ((cpu1 - cpu0) * 1000) / r.requests : null;
    r.serverCpuCores = cpu0 !== null && cpu1 !== null && r.durationS > 0 ? (cpu1 - cpu0) / 1000 / r.durationS : null;
    r.machineBusy = m0 && m1 && m1.total > m0.total ? 1 - (m1.idle - m0.idle) / (m1.total - m0.total) : null;
    if (hooks.beforeStop) await hooks.beforeStop(handle, r);
    return r;
  } finally {
    await stopServer(handle);
  }
}

module.exports = { ROOT, freePort, startServer, stopServer, killOnExit, probe, waitReady, pidCpuMs, groupCpuMs, machineCpu, median, measureOnce };

if (require.main === module) {
  process.stdout.write('bench/harness.js is a module (servers, readiness, CPU accounting, one wrk measurement) used by bench/run.js\n' +
    'and bench/offload-latency.js; see bench/README.md. Run `node bench/run.js --help`.\n');
}
