#!/usr/bin/env node
// The req/s cost of `serve --admin`: the same server with and without --admin (and, with --baseline-cli, a wasmx
// build without the admin counters compiled in), in alternating rounds of wrk, median of the rounds. With --admin,
// once unscraped and once with a client scraping /metrics every --scrape-ms during the measurement, as Prometheus
// would (harder: every second).
//
//   node bench/admin.js [--rounds 3] [-d 5] [--server keepalive|hello] [--threads 1] [--scrape-ms 1000]
//                       [--baseline-cli /path/to/other/checkout/bin/wasmx.js]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const wrk = require('./wrk');

const ROOT = path.join(__dirname, '..');
const HELP = `usage: node bench/admin.js [options]
  --rounds N          alternating rounds per configuration (default 3)
  -d, --duration S    seconds of wrk per round (default 5; 1 s of warm-up before each)
  --server NAME       keepalive (examples/keepalive-server, default) or hello (examples/hello-server.wat)
  --threads N         serve instances (default 1)
  --scrape-ms MS      how often the --admin configuration's /metrics is scraped during a round (default 1000)
  --baseline-cli P    also measure this wasmx CLI without --admin (e.g. a checkout without the counters)
  --help
`;

function parseArgs(argv) {
  const o = { rounds: 3, duration: 5, server: 'keepalive', threads: 1, scrapeMs: 1000, baselineCli: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '-d' || a === '--duration') o.duration = Number(v());
    else if (a === '--server') o.server = v();
    else if (a === '--threads') o.threads = Number(v());
    else if (a === '--scrape-ms') o.scrapeMs = Number(v());
    else if (a === '--baseline-cli') o.baselineCli = path.resolve(v());
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!['keepalive', 'hello'].includes(o.server)) throw new Error(`--server ${o.server}: expected keepalive or hello`);
  return o;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

const get = (port, p) =>
  new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (r) => {
      let b = '';
      r.on('data', (d) => (b += d));
      r.on('end', () => resolve({ status: r.statusCode, body: b }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });

const cpuMs = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};

async function waitHttp(port, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error('server exited');
    if ((await get(port, '/')).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server never answered');
}

async function measure(cfg, module, o) {
  const port = await freePort();
  const adminPort = cfg.admin ? await freePort() : null;
  const args = [cfg.cli, 'serve', '--threads', String(o.threads), '--net', '--env', `PORT=${port}`, ...(adminPort ? ['--admin', `127.0.0.1:${adminPort}`] : []), module];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  let scraper;
  try {
    await waitHttp(port, child);
    const url = `http://127.0.0.1:${port}/`;
    await wrk.run(url, { durationS: 1 });
    let scrapes = 0;
    let sample = null; // the last scrape taken while wrk was running
    if (adminPort && cfg.scrape)
      scraper = setInterval(
        () =>
          get(adminPort, '/metrics').then((r) => {
            if (r.status === 200) (scrapes++, (sample = r.body));
          }),
        o.scrapeMs,
      );
    const c0 = cpuMs(child.pid);
    const r = await wrk.run(url, { durationS: o.duration });
    const c1 = cpuMs(child.pid);
    clearInterval(scraper);
    return { rps: r.rps, cpuUsPerReq: ((c1 - c0) * 1000) / r.requests, scrapes, sample };
  } finally {
    clearInterval(scraper);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const module = o.server === 'hello' ? path.join(ROOT, 'examples', 'hello-server.wat') : require('../scripts/build-native-examples.js').buildKeepalive().wasm;
  const cli = path.join(ROOT, 'bin', 'wasmx.js');
  const cfgs = [
    ...(o.baselineCli ? [{ name: 'baseline build, no --admin', cli: o.baselineCli, admin: false }] : []),
    { name: 'no --admin', cli, admin: false },
    { name: '--admin, not scraped', cli, admin: true, scrape: false },
    { name: `--admin, scraped every ${o.scrapeMs} ms`, cli, admin: true, scrape: true },
  ];
  const results = new Map(cfgs.map((c) => [c.name, []]));
  let sample = '';
  for (let round = 0; round < o.rounds; round++) {
    // Alternate the order each round so drift on a shared machine does not favour one configuration.
    const order = round % 2 ? [...cfgs].reverse() : cfgs;
    for (const c of order) {
      const r = await measure(c, module, o);
      results.get(c.name).push(r);
      if (r.sample) sample = r.sample;
      process.stderr.write(`round ${round + 1}: ${c.name}: ${Math.round(r.rps)} req/s, ${r.cpuUsPerReq.toFixed(1)} µs CPU/req${c.scrape ? `, ${r.scrapes} scrapes` : ''}\n`);
    }
  }
  const base = median(results.get('no --admin').map((r) => r.rps));
  process.stdout.write(`\nserver: ${o.server}, serve --threads ${o.threads}; wrk -t1 -c50 -d${o.duration}s; median of ${o.rounds} alternating rounds\n`);
  for (const c of cfgs) {
    const rs = results.get(c.name);
    const rps = median(rs.map((r) => r.rps));
    // Paired per round (the configurations of one round ran back to back): steadier than the ratio of medians.
    const paired = median(rs.map((r, i) => r.rps / results.get('no --admin')[i].rps));
    process.stdout.write(`  ${c.name.padEnd(34)} ${String(Math.round(rps)).padStart(7)} req/s (${(rps / base).toFixed(3)}x; per-round median ${paired.toFixed(3)}x)  ${median(rs.map((r) => r.cpuUsPerReq)).toFixed(1)} µs CPU/req  rounds: ${rs.map((r) => Math.round(r.rps)).join(' ')}\n`);
  }
  // ADMIN_BENCH_SAMPLE=FILE: keep a /metrics scrape taken under load.
  if (process.env.ADMIN_BENCH_SAMPLE) fs.writeFileSync(process.env.ADMIN_BENCH_SAMPLE, sample);
}

main().catch((e) => {
  process.stderr.write(`bench/admin.js: ${e.message}\n`);
  process.exit(1);
});
