#!/usr/bin/env node
// HTTP benchmark: each selected server (bench/servers.js, plus any --server NAME=CMD) on its own free port, one
// after the other and alternating over --rounds, measured with wrk; prints req/s, p50/p99 latency, CPU per request
// and each server's ratio to its baseline, saves the results as JSON (and an SVG chart beside it) in
// bench/results/, and exits 1 when a gated server (wasmx) falls below --min-ratio of its baseline (native) or an
// A/B comparison (--against REF, --baseline FILE; bench/compare.js) finds a regression outside the noise.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const wrk = require('./wrk');
const { servers: BUILT_IN } = require('./servers');
const { killOnExit, measureOnce, median } = require('./harness');
const { compareRounds, chartSvg } = require('./compare');

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results');

const USAGE = `usage: npm run bench -- [options]     (or: node bench/run.js [options])

  -d, --duration S       seconds of measurement per server and round (default 10)
  -c, --connections N    wrk connections (default 50)
  -t, --threads N        wrk threads (default 1)
      --warmup S         seconds of unmeasured load before each measurement (default 2; 0 = none)
      --rounds N         measure every server N times, alternating the order; report the median (default 3)
      --only A,B         servers to run, built-in or --server names (default: ${BUILT_IN.filter((s) => s.default).map((s) => s.name).join(',')},
                         plus every --server)
      --server NAME=CMD  also run a server of your own: CMD is a shell command that serves HTTP on 127.0.0.1:{port}
                         ({port} is replaced; $PORT is set too); repeatable. E.g.
                           --server nginx-native='/opt/nginx/sbin/nginx -p /tmp/ng -g "daemon off;" -c ng-{port}.conf'
      --compare NEW=OLD  show NEW's req/s as a ratio to OLD's (any two server names; repeatable)
      --path P           URL path to request (default /); --path NAME=P for one server (repeatable)
      --min-ratio R      fail when a gated server's req/s < R x its baseline's (default 0.85)
      --max-cpu-ratio R  also fail when a gated server's CPU time per response > R x its baseline's (default: off;
                         steadier than req/s when wrk or other processes, not the server, limit the rate)

  A/B regression runs (verdict per server: ratio of the medians new/old with a bootstrap 95 % interval over the
  rounds; a regression needs the whole interval on the bad side of 1 and a change beyond --tolerance):
      --against REF      build git REF (commit, branch, tag) in a worktree under ${os.tmpdir()} (node_modules linked,
                         built once per commit) and run every selected wasmx server from it and from this tree,
                         alternating; NAME@REF is the old one
      --baseline FILE    compare with the rounds of a saved results JSON (same server names)
      --tolerance T      smallest change that counts (default 0.05 = 5 %); --baseline also compares across
                         time, so a busier machine than the saved run's reads as a change: prefer --against

      --json             print the results as JSON instead of the table
      --out DIR          where results go (default bench/results/): <timestamp>.json and <timestamp>.svg (req/s per
                         round, latency percentiles per server)
      --no-save          do not write the results
      --list             list the servers and exit
  -h, --help

Exit status: 0 ok; 1 a gated server is below --min-ratio (or above --max-cpu-ratio), an A/B comparison found a
regression in req/s or CPU per request outside the noise, or a server made unexpected errors; 2 the benchmark
could not run (bad option, missing wrk, a server that does not build or start, REF that does not build).
`;

class UsageError extends Error {}

function parseArgs(argv) {
  const o = {
    duration: 10, connections: 50, threads: 1, warmup: 2, rounds: 3, only: null, minRatio: 0.85, maxCpuRatio: null,
    json: false, save: true, list: false, userServers: [], compare: [], path: '/', against: null, baseline: null,
    tolerance: 0.05, out: RESULTS, paths: [],
  };
  const num = (flag, v, { int = false, min = 0 } = {}) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new UsageError(`${flag} needs ${int ? 'an integer' : 'a number'} >= ${min}`);
    return n;
  };
  const pair = (flag, v) => {
    const i = v === undefined ? -1 : v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`${flag} needs NAME=${flag === '--server' ? 'CMD' : 'OLD'}`);
    return [v.slice(0, i).trim(), v.slice(i + 1)];
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline;
    // --flag=value; for --server/--compare the value itself holds '=', so only the first one splits.
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
      case '--tolerance': o.tolerance = num(a, val()); break;
      case '--only': {
        const v = val();
        if (!v) throw new UsageError('--only needs a list of servers');
        o.only = v.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      }
      case '--server': {
        const [name, cmd] = pair(a, val());
        if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--server ${name}: a name is letters, digits, '.', '_' or '-'`);
        o.userServers.push({ name, cmd });
        break;
      }
      case '--compare': o.compare.push(pair(a, val())); break;
      case '--path': {
        const v = val() ?? '';
        const i = v.indexOf('=');
        const p = i > 0 && !v.slice(0, i).includes('/') ? v.slice(i + 1) : v;
        if (!p.startsWith('/')) throw new UsageError('--path needs a URL path starting with / (or NAME=/path)');
        if (p === v) o.path = v;
        else o.paths.push([v.slice(0, i), p]);
        break;
      }
      case '--against': o.against = val(); if (!o.against) throw new UsageError('--against needs a git ref'); break;
      case '--baseline': o.baseline = val(); if (!o.baseline) throw new UsageError('--baseline needs a results JSON file'); break;
      case '--out': o.out = path.resolve(val() ?? ''); break;
      case '--json': o.json = true; break;
      case '--no-save': o.save = false; break;
      case '--list': o.list = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  if (o.connections < o.threads) throw new UsageError('--connections must be at least --threads (wrk needs a connection per thread)');
  if (o.against && o.baseline) throw new UsageError('--against and --baseline: choose one');
  return o;
}

/** A --server NAME=CMD descriptor: CMD runs under /bin/sh in its own process group, {port} substituted. */
function userServer({ name, cmd }) {
  return {
    name,
    kind: 'user',
    description: cmd,
    default: false,
    compareTo: null,
    gated: false,
    start: (port) => ({ shell: cmd.split('{port}').join(String(port)), env: { PORT: String(port) } }),
  };
}

function selectServers(opts) {
  const all = [...BUILT_IN];
  for (const u of opts.userServers) {
    if (all.some((s) => s.name === u.name)) throw new UsageError(`--server ${u.name}: that name is taken (see --list)`);
    all.push(userServer(u));
  }
  for (const [n, p] of opts.paths) {
    const i = all.findIndex((s) => s.name === n);
    if (i < 0) throw new UsageError(`--path: unknown server ${n}`);
    all[i] = { ...all[i], path: p };
  }
  for (const [n, base] of opts.compare) {
    for (const x of [n, base]) if (!all.some((s) => s.name === x)) throw new UsageError(`--compare: unknown server ${x}`);
    const i = all.findIndex((s) => s.name === n);
    all[i] = { ...all[i], compareTo: base };
  }
  if (!opts.only) return all.filter((s) => s.default || s.kind === 'user');
  const unknown = opts.only.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`unknown server ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  return all.filter((s) => opts.only.includes(s.name));
}

// Messages go to stderr so that --json output on stdout stays parseable.
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/**
 * Checks REF out in a worktree under the system temp dir (outside this repo), links this tree's node_modules into
 * it and builds it (once per commit: a marker file records a finished build). Returns { ref, sha, dir, cli }.
 */
function prepareRef(ref) {
  const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  let sha;
  try {
    sha = git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new Error(`--against ${ref}: not a commit in ${ROOT}`);
  }
  const dir = path.join(os.tmpdir(), `wasmx-bench-${sha.slice(0, 12)}`);
  const marker = path.join(dir, '.wasmx-bench-built');
  if (!fs.existsSync(path.join(dir, '.git'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    git('worktree', 'prune');
    log(`--against ${ref}: git worktree add ${dir} (${sha.slice(0, 12)})`);
    git('worktree', 'add', '--detach', dir, sha);
  }
  const nm = path.join(dir, 'node_modules');
  if (!fs.existsSync(nm)) fs.symlinkSync(path.join(ROOT, 'node_modules'), nm, 'dir');
  if (!fs.existsSync(marker)) {
    log(`--against ${ref}: building ${dir} (npm run build; ccache makes a rebuild quick)`);
    try {
      execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 2, 2] });
    } catch (e) {
      throw new Error(`--against ${ref}: npm run build failed in ${dir} (${e.message.split('\n')[0]})`);
    }
    fs.writeFileSync(marker, `${sha}\n`);
  }
  return { ref, sha, dir, cli: path.join(dir, 'bin', 'wasmx.js') };
}

function summarize(server, runs) {
  // The median round by req/s stands for the server (its latencies come from that same round).
  const byRps = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = byRps[(byRps.length - 1) >> 1];
  return {
    name: server.name,
    kind: server.kind,
    command: server.kind === 'user' ? server.description : undefined,
    compareTo: server.compareTo ?? null,
    gated: !!server.gated,
    rps: runs.length === 1 ? mid.rps : median(runs.map((r) => r.rps)),
    latencyMs: mid.latencyMs,
    requests: mid.requests,
    errors: mid.errors,
    non2xx3xx: mid.non2xx3xx,
    unexpectedErrors: wrk.unexpectedErrors(mid),
    serverCpuUsPerReq: runs.every((r) => r.serverCpuUsPerReq !== null) ? median(runs.map((r) => r.serverCpuUsPerReq)) : null,
    serverCpuCores: mid.serverCpuCores,
    machineBusy: mid.machineBusy,
    rounds: runs.map((r) => ({ rps: r.rps, p50: r.latencyMs.p50, p75: r.latencyMs.p75, p90: r.latencyMs.p90, p99: r.latencyMs.p99, max: r.latencyMs.max,
      requests: r.requests, errors: r.errors, serverCpuUsPerReq: r.serverCpuUsPerReq, machineBusy: r.machineBusy })),
    wrk: mid.command,
    ratio: null,
    cpuPerReqRatio: null,
  };
}

const cpuRegressed = (r, opts) => r.gated && opts.maxCpuRatio !== null && r.cpuPerReqRatio !== null && r.cpuPerReqRatio > opts.maxCpuRatio;

function fmtRows(rows, leftCols = 1) {
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c < leftCols || c >= row.length - 1 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join('  ').trimEnd()).join('\n');
}

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
  return fmtRows(rows);
}

function fmtComparisons(comparisons) {
  const rows = [['server', 'metric', 'old', 'new', 'change', '95% interval', 'verdict']];
  const v = (x, key) => (key === 'rps' ? String(Math.round(x)) : x.toFixed(key === 'serverCpuUsPerReq' ? 1 : 2));
  const pct = (x) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%`;
  for (const c of comparisons) {
    for (const m of c.metrics) {
      rows.push([c.server, m.metric, v(m.old, m.key), v(m.new, m.key), pct(m.ratio), `${pct(m.low)} .. ${pct(m.high)}`,
        m.verdict === 'regression' && m.gate ? 'REGRESSION' : m.verdict]);
    }
  }
  return fmtRows(rows, 2);
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    opts.servers = selectServers(opts);
    if (opts.list) {
      for (const s of [...BUILT_IN, ...opts.servers.filter((x) => x.kind === 'user')]) {
        process.stdout.write(`${s.name.padEnd(24)} ${s.default ? '(default) ' : ''}${s.description}\n`);
      }
      return 0;
    }
    if (opts.against && !opts.servers.some((s) => s.kind === 'wasmx')) throw new UsageError('--against compares wasmx builds: select at least one wasmx server (see --list)');
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
  killOnExit(log);

  let baseline = null;
  if (opts.baseline) {
    try {
      baseline = JSON.parse(fs.readFileSync(opts.baseline, 'utf8'));
      if (!Array.isArray(baseline.results)) throw new Error('no "results" array');
    } catch (e) {
      log(`--baseline ${opts.baseline}: ${e.message}`);
      return 2;
    }
  }

  // Build everything first, so that no compiler runs during a measurement.
  const ctx = { root: ROOT, binaries: {}, log };
  let against = null;
  try {
    if (opts.against) against = prepareRef(opts.against);
  } catch (e) {
    log(e.message);
    return 2;
  }
  for (const s of opts.servers) {
    try {
      await s.prepare?.(ctx);
    } catch (e) {
      log(`cannot prepare ${s.name}: ${e.message}`);
      return 2;
    }
  }
  // --against: every wasmx server also runs from REF's build (same guest module, REF's CLI and addon).
  const plan = [];
  for (const s of opts.servers) {
    if (against && s.kind === 'wasmx') plan.push({ server: { ...s, name: `${s.name}@${opts.against}`, compareTo: null, gated: false }, ctx: { ...ctx, cli: against.cli }, abOf: s.name });
    plan.push({ server: s, ctx });
  }

  const loadBefore = os.loadavg();
  if (loadBefore[0] > os.cpus().length / 2) log(`note: load average ${loadBefore[0].toFixed(2)} on ${os.cpus().length} CPUs; numbers will be noisy`);
  const runs = new Map(plan.map((p) => [p.server.name, []]));
  const total = plan.length * opts.rounds * (opts.duration + opts.warmup);
  log(`${plan.map((p) => p.server.name).join(', ')}: wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s` +
    `${opts.warmup ? ` after ${opts.warmup}s warm-up` : ''}${opts.rounds > 1 ? `, ${opts.rounds} rounds` : ''} (about ${total} s)`);
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate the order every round, so that neither server always runs first.
    const order = round % 2 ? [...plan].reverse() : plan;
    for (const p of order) {
      try {
        const r = await measureOnce(p.server, p.ctx, opts);
        runs.get(p.server.name).push(r);
        log(`${p.server.name}${opts.rounds > 1 ? ` round ${round + 1}` : ''}: ${Math.round(r.rps)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
      } catch (e) {
        log(`${e.message}`);
        return 2;
      }
    }
  }

  const results = plan.map((p) => summarize(p.server, runs.get(p.server.name)));
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

  // A/B comparisons: REF's build vs this tree, or a saved run vs this one.
  const comparisons = [];
  if (against) {
    for (const p of plan.filter((x) => x.abOf)) {
      comparisons.push({ server: p.abOf, old: p.server.name, new: p.abOf, metrics: compareRounds(byName.get(p.server.name).rounds, byName.get(p.abOf).rounds, opts) });
    }
  }
  if (baseline) {
    for (const r of results) {
      const b = baseline.results.find((x) => x.name === r.name);
      if (!b || !Array.isArray(b.rounds)) {
        notes.push(`${r.name}: not in ${opts.baseline}`);
        continue;
      }
      comparisons.push({ server: r.name, old: `${r.name} (${opts.baseline})`, new: r.name, metrics: compareRounds(b.rounds, r.rounds, opts) });
    }
  }
  const abRegressions = comparisons.flatMap((c) => c.metrics.filter((m) => m.gate && m.verdict === 'regression').map((m) => ({ server: c.server, ...m })));
  if (comparisons.some((c) => c.metrics.some((m) => m.verdict === 'too few rounds'))) notes.push('A/B: fewer than 3 rounds on a side give no verdict (use --rounds 3 or more)');

  const regressions = results.filter((r) => (r.gated && r.ratio !== null && r.ratio < opts.minRatio) || cpuRegressed(r, opts));
  const erring = results.filter((r) => r.unexpectedErrors > 0);
  const report = {
    date: new Date().toISOString(),
    pass: regressions.length === 0 && erring.length === 0 && abRegressions.length === 0,
    options: { duration: opts.duration, connections: opts.connections, threads: opts.threads, warmup: opts.warmup, rounds: opts.rounds, minRatio: opts.minRatio,
      maxCpuRatio: opts.maxCpuRatio, path: opts.path, tolerance: opts.tolerance, against: opts.against, baseline: opts.baseline },
    host: { node: process.version, platform: `${os.type()} ${os.release()} ${os.arch()}`, cpu: os.cpus()[0]?.model, cpus: os.cpus().length, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
    against: against ? { ref: against.ref, sha: against.sha, dir: against.dir } : undefined,
    results,
    comparisons,
    regressions: regressions.map((r) => ({ name: r.name, ratio: r.ratio, cpuPerReqRatio: r.cpuPerReqRatio, baseline: r.compareTo, minRatio: opts.minRatio, maxCpuRatio: opts.maxCpuRatio })),
    abRegressions,
    notes,
  };
  if (opts.save) {
    fs.mkdirSync(opts.out, { recursive: true });
    const base = path.join(opts.out, report.date.replace(/[:.]/g, '-'));
    const shown = (f) => (f.startsWith(ROOT + path.sep) ? path.relative(ROOT, f) : f);
    report.file = shown(`${base}.json`);
    report.chart = shown(`${base}.svg`);
    fs.writeFileSync(`${base}.svg`, chartSvg(report));
    fs.writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  }

  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    process.stdout.write(`${fmtTable(results, opts)}\n\n`);
    process.stdout.write(`wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s, ${opts.rounds} round(s); load average ${loadBefore[0].toFixed(2)} -> ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs` +
      `${report.file ? `; saved ${report.file} and ${report.chart}` : ''}\n`);
    const busy = results.map((r) => r.machineBusy).filter((b) => b !== null);
    if (busy.length && Math.max(...busy) > 0.9) {
      process.stdout.write(`note: the machine was ${Math.round(Math.max(...busy) * 100)}% busy during a measurement: req/s is then shared with wrk and ` +
        'other processes; cpu us/req (server CPU per response) is the steadier comparison\n');
    }
    for (const r of results) {
      if (r.cpuPerReqRatio) process.stdout.write(`${r.name}: ${r.cpuPerReqRatio.toFixed(2)} x ${r.compareTo}'s CPU time per response\n`);
    }
    if (comparisons.length) {
      const what = against ? `${opts.against} (${against.sha.slice(0, 12)}) -> this tree` : `${opts.baseline} -> this run`;
      process.stdout.write(`\nA/B ${what}: median of the rounds, change new/old with a bootstrap 95% interval; ` +
        `a regression (req/s, cpu us/req) needs the interval on the bad side of 1 and a change beyond ${(opts.tolerance * 100).toFixed(0)}%\n`);
      process.stdout.write(`${fmtComparisons(comparisons)}\n`);
    }
    for (const n of notes) process.stdout.write(`note: ${n}\n`);
  }
  for (const r of regressions) {
    if (r.ratio < opts.minRatio) log(`FAIL: ${r.name} reached ${r.ratio.toFixed(2)} x ${r.compareTo} (${Math.round(r.rps)} vs ${Math.round(byName.get(r.compareTo).rps)} req/s), below --min-ratio ${opts.minRatio}`);
    if (cpuRegressed(r, opts)) log(`FAIL: ${r.name} spent ${r.cpuPerReqRatio.toFixed(2)} x ${r.compareTo}'s CPU per response, above --max-cpu-ratio ${opts.maxCpuRatio}`);
  }
  for (const r of abRegressions) log(`FAIL: ${r.server}: ${r.metric} ${((r.ratio - 1) * 100).toFixed(1)}% (interval ${((r.low - 1) * 100).toFixed(1)}% .. ${((r.high - 1) * 100).toFixed(1)}%), a regression outside the noise`);
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
