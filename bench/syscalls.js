#!/usr/bin/env node
// Syscalls per request on the guest's thread (and on the other threads), under strace.
//
//   node bench/syscalls.js [--requests N] [--concurrency C] [--only a,b] [--keepalive]   (bench/servers.js)
//
// Method: each server runs under `strace -f -ff -ttt -o DIR/t` (one trace file per thread, named by TID). The
// guest's thread is the server process's main thread (TID = PID): `wasmx run` runs a single-threaded guest on
// Node's main thread, and the native server has only that thread. After a warm-up request, N requests are made
// (C at a time; each: connect, send a GET, read to EOF — or with --keepalive, C connections each sending its share
// of the requests one after the other, for servers that keep connections open). The window is the client's wall
// clock from the first request to the last response (strace -ttt stamps are the same clock); every syscall line of
// each thread inside it is counted and divided by N. strace slows everything down; the counts, not the times,
// are the result.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { servers } = require('./servers');

const USAGE = `usage: node bench/syscalls.js [options]

Syscalls per request on the guest's thread and on the server's other threads, counted under strace -f -ff.
  --requests N      requests to make (default 2000)
  --concurrency C   requests in flight (default 8)
  --only A,B        servers from bench/servers.js (default native,wasmx-offload-off,wasmx-offload-threads,wasmx-offload-uring)
  --keepalive       C keep-alive connections, each making its share of the requests (for keep-alive servers)
  --json            print the results as JSON
  -h, --help
Needs strace and npm run build.
`;

class UsageError extends Error {}

function parseArgs(argv) {
  const o = { requests: 2000, concurrency: 8, only: ['native', 'wasmx-offload-off', 'wasmx-offload-threads', 'wasmx-offload-uring'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--requests') o.requests = Number(argv[++i]);
    else if (a === '--concurrency') o.concurrency = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--json') o.json = true;
    else if (a === '--keepalive') o.keepalive = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown option ${a}`);
  }
  return o;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function request(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => resolve(got.startsWith('HTTP/1.1 200')));
    s.on('error', () => resolve(got.startsWith('HTTP/1.1 200')));
  });
}

// One keep-alive connection making `count` sequential requests (responses with a Content-Length).
function keepaliveClient(port, count) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    let done = 0;
    const send = () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    s.on('connect', send);
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        const m = /Content-Length: (\d+)/i.exec(buf.slice(0, h));
        const len = m ? Number(m[1]) : 0;
        if (buf.length < h + 4 + len) return;
        buf = buf.slice(h + 4 + len);
        if (++done === count) {
          s.destroy();
          return resolve(done);
        }
        send();
      }
    });
    s.on('error', reject);
  });
}

async function waitUp(port, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await request(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not answer');
}

async function measure(server, opts) {
  const ctx = { root: path.join(__dirname, '..'), binaries: {}, log: () => {} };
  await server.prepare?.(ctx);
  const port = await freePort();
  const spec = server.start(port, ctx);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmx-strace-'));
  let t0 = 0, t1 = 0;
  const child = spawn('strace', ['-f', '-ff', '-ttt', '-o', path.join(dir, 't'), spec.command, ...spec.args], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, ...spec.env },
  });
  try {
    await waitUp(port);
    let ok = 0;
    t0 = Date.now() / 1000;
    if (opts.keepalive) {
      const share = Math.ceil(opts.requests / opts.concurrency);
      const counts = Array.from({ length: opts.concurrency }, (_, i) => Math.max(0, Math.min(share, opts.requests - i * share)));
      ok = (await Promise.all(counts.filter((c) => c > 0).map((c) => keepaliveClient(port, c)))).reduce((a, b) => a + b, 0);
    } else {
      let next = 0;
      const worker = async () => {
        while (next < opts.requests) {
          next++;
          if (await request(port)) ok++;
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency }, worker));
    }
    t1 = Date.now() / 1000;
    if (ok !== opts.requests) throw new Error(`${opts.requests - ok} requests failed`);
  } finally {
    // The traced server is strace's child: find and stop it, then let strace finish writing.
    try {
      const pids = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      for (const p of pids) process.kill(Number(p), 'SIGKILL');
    } catch { /* gone already */ }
    await new Promise((r) => child.once('exit', r));
  }
  // The guest thread: the traced process's main thread (the smallest TID among the files).
  const files = fs.readdirSync(dir).map((f) => ({ tid: Number(f.split('.')[1]), file: path.join(dir, f) })).sort((a, b) => a.tid - b.tid);
  const main = files[0];
  const lines = (f) => fs.readFileSync(f, 'utf8').split('\n');
  const stamp = (l) => Number(l.slice(0, l.indexOf(' ')));
  const callName = (l) => {
    const rest = l.slice(l.indexOf(' ') + 1);
    if (rest.startsWith('<...') || rest.startsWith('+++') || rest.startsWith('---')) return null;
    const m = /^([a-z0-9_]+)\(/.exec(rest);
    return m ? m[1] : null;
  };
  const accepts = opts.requests;
  const count = (f) => {
    const byName = {};
    let n = 0;
    for (const l of lines(f)) {
      const name = callName(l);
      if (!name) continue;
      const t = stamp(l);
      if (t < t0 || t >= t1) continue;
      byName[name] = (byName[name] || 0) + 1;
      n++;
    }
    return { n, byName };
  };
  const guest = count(main.file);
  let others = 0;
  const otherByName = {};
  for (const f of files.slice(1)) {
    const c = count(f.file);
    others += c.n;
    for (const [k, v] of Object.entries(c.byName)) otherByName[k] = (otherByName[k] || 0) + v;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const per = (n) => n / accepts;
  const top = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${per(v).toFixed(2)}`).join(', ');
  return { name: server.name, requests: accepts, guestPerReq: per(guest.n), guestTop: top(guest.byName), otherPerReq: per(others), otherTop: top(otherByName) };
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    if (!(opts.requests > 0) || !(opts.concurrency > 0)) throw new UsageError('--requests and --concurrency need positive numbers');
    for (const name of opts.only) if (!servers.some((x) => x.name === name)) throw new UsageError(`unknown server ${name} (see node bench/run.js --list)`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench/syscalls: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const results = [];
  for (const name of opts.only) {
    const s = servers.find((x) => x.name === name);
    results.push(await measure(s, opts));
  }
  if (opts.json) return process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  for (const r of results) {
    process.stdout.write(`${r.name}: ${r.guestPerReq.toFixed(2)} syscalls/request on the guest thread (${r.guestTop}); ` +
      `${r.otherPerReq.toFixed(2)} on other threads (${r.otherTop}) [${r.requests} requests]\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench/syscalls: ${e.stack || e}\n`);
  process.exit(2);
});
