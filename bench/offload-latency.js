#!/usr/bin/env node
// The offload pool's own figures under load: hand-off latency (guest queues a send -> the pool's send returned,
// p50/p90/p99), the pool threads' CPU per op, how often the guest had to wake a sleeping pool thread, and how many
// ops the governor ran inline; side by side with req/s and the server's CPU per request for --offload off.
// The pool writes them when WASMX_OFFLOAD_STATS=FILE is set (native/src/offload/offload_threads.cc).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const wrk = require('./wrk');
const { killOnExit, measureOnce, median, ROOT } = require('./harness');

const USAGE = `usage: node bench/offload-latency.js [options]

Runs examples/hello-server.wat (the article's loop) with --offload off and each offload mode, alternating, under
wrk; prints req/s, the server's CPU per request and, for the pool: hand-off latency enqueue -> send done
(p50/p90/p99/max), pool CPU per op, wakes and inline ops per request (WASMX_OFFLOAD_STATS).

  -d, --duration S     seconds of measurement per run (default 3)
  -c, --connections N  wrk connections (default 50)
      --warmup S       seconds of unmeasured load first (default 1)
      --rounds N       alternating rounds; medians are reported (default 3)
      --modes A,B      offload modes besides off (default threads,uring)
      --govern G       on (the default pool), off (WASMX_OFFLOAD_GOVERN=0: always hand off) or both (default both)
      --json           print the results as JSON
  -h, --help
`;

function parseArgs(argv) {
  const o = { duration: 3, connections: 50, warmup: 1, rounds: 3, modes: ['threads', 'uring'], govern: 'both', json: false };
  const int = (flag, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '-d': case '--duration': o.duration = int(a, argv[++i], 1); break;
      case '-c': case '--connections': o.connections = int(a, argv[++i], 1); break;
      case '--warmup': o.warmup = int(a, argv[++i], 0); break;
      case '--rounds': o.rounds = int(a, argv[++i], 1); break;
      case '--modes': o.modes = String(argv[++i] ?? '').split(',').filter(Boolean); break;
      case '--govern': o.govern = argv[++i]; break;
      case '--json': o.json = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (!['on', 'off', 'both'].includes(o.govern)) throw new Error('--govern needs on, off or both');
  for (const m of o.modes) if (!['threads', 'uring'].includes(m)) throw new Error(`--modes: unknown mode ${m}`);
  return o;
}

const HELLO = path.join(ROOT, 'examples', 'hello-server.wat');
const CLI = path.join(ROOT, 'bin', 'wasmx.js');

function config(mode, governed, statsFile) {
  const name = mode === 'off' ? 'off' : `${mode}${governed ? '' : ' (ungoverned)'}`;
  const env = mode === 'off' ? {} : { WASMX_OFFLOAD_STATS: statsFile, WASMX_OFFLOAD_GOVERN: governed ? '1' : '0' };
  return {
    name,
    mode,
    statsFile,
    start: (port) => ({ command: process.execPath, args: [CLI, 'run', '--net', '--offload', mode, '--env', `PORT=${port}`, HELLO], env }),
  };
}

/** Waits (up to 3 s) until the pool rewrote its stats file after `since` (ms), then parses it. */
async function readStats(file, since) {
  const end = Date.now() + 3000;
  while (Date.now() < end) {
    try {
      if (fs.statSync(file).mtimeMs > since) return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch { /* not written yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`offload-latency: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (!wrk.available()) {
    process.stderr.write('offload-latency: wrk is not installed (node scripts/setup-test-deps.js)\n');
    return 2;
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    process.stderr.write('offload-latency: dist/ is missing: run npm run build\n');
    return 2;
  }
  killOnExit((m) => process.stderr.write(`offload-latency: ${m}\n`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmx-offload-stats-'));
  const configs = [config('off', true, null)];
  let k = 0;
  for (const m of opts.modes) {
    if (opts.govern !== 'off') configs.push(config(m, true, path.join(dir, `s${k++}.json`)));
    if (opts.govern !== 'on') configs.push(config(m, false, path.join(dir, `s${k++}.json`)));
  }
  const runs = new Map(configs.map((c) => [c.name, []]));
  const ctx = { root: ROOT, binaries: {} };
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 ? [...configs].reverse() : configs;
    for (const c of order) {
      let stats = null;
      const r = await measureOnce(c, ctx, { ...opts, threads: 1, path: '/' }, {
        beforeStop: async () => {
          if (c.statsFile) stats = await readStats(c.statsFile, Date.now());
        },
      });
      runs.get(c.name).push({ rps: r.rps, p99: r.latencyMs.p99, cpuUsPerReq: r.serverCpuUsPerReq, requests: r.requests, stats });
      process.stderr.write(`offload-latency: ${c.name} round ${round + 1}: ${Math.round(r.rps)} req/s` +
        `${stats ? `, hand-off p50 ${stats.handoff_us.p50} us p99 ${stats.handoff_us.p99} us, inline ${stats.inline_ops}/${stats.inline_ops + stats.ops} ops` : ''}\n`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const off = median(runs.get('off').map((x) => x.rps));
  const rows = configs.map((c) => {
    const rs = runs.get(c.name);
    const st = rs.map((x) => x.stats).filter(Boolean);
    const med = (f) => (st.length ? median(st.map(f)) : null);
    const rps = median(rs.map((x) => x.rps));
    return {
      config: c.name,
      rps: Math.round(rps),
      ratioToOff: +(rps / off).toFixed(3),
      p99Ms: median(rs.map((x) => x.p99)),
      serverCpuUsPerReq: rs.every((x) => x.cpuUsPerReq !== null) ? +median(rs.map((x) => x.cpuUsPerReq)).toFixed(1) : null,
      handoffUs: st.length ? { p50: med((s) => s.handoff_us.p50), p90: med((s) => s.handoff_us.p90), p99: med((s) => s.handoff_us.p99), max: med((s) => s.handoff_us.max) } : null,
      poolCpuUsPerOp: med((s) => s.pool_cpu_us_per_op),
      handedOffShare: med((s) => (s.ops + s.inline_ops ? s.ops / (s.ops + s.inline_ops) : 0)),
      wakesPerHandoff: med((s) => (s.ops ? s.wakes / s.ops : 0)),
      rounds: rs,
    };
  });
  const report = { date: new Date().toISOString(), options: opts, host: { cpus: os.cpus().length, loadavg: os.loadavg() }, rows };
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    const f = (x, d = 1) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));
    const table = [['config', 'req/s', 'x off', 'p99 ms', 'cpu us/req', 'hand-off p50/p90/p99/max us', 'pool us/op', 'handed off', 'wakes/op']];
    for (const r of rows) {
      table.push([r.config, String(r.rps), f(r.ratioToOff, 2), f(r.p99Ms, 2), f(r.serverCpuUsPerReq),
        r.handoffUs ? `${f(r.handoffUs.p50, 0)}/${f(r.handoffUs.p90, 0)}/${f(r.handoffUs.p99, 0)}/${f(r.handoffUs.max, 0)}` : '-',
        f(r.poolCpuUsPerOp, 2), r.handedOffShare === null ? '-' : `${Math.round(r.handedOffShare * 100)}%`, f(r.wakesPerHandoff, 3)]);
    }
    const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    process.stdout.write(table.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n') + '\n');
    process.stdout.write(`wrk -t1 -c${opts.connections} -d${opts.duration}s, ${opts.rounds} alternating rounds (medians); ${os.cpus().length} CPUs, ` +
      `load average ${os.loadavg()[0].toFixed(2)}; pool figures cover each server's whole life (probe and warm-up included)\n`);
  }
  return 0;
}

main().then((c) => process.exit(c), (e) => {
  process.stderr.write(`offload-latency: ${e.stack ?? e}\n`);
  process.exit(2);
});
