// Running wrk and reading its report (the text wrk --latency prints; wrk 4.x).
'use strict';
const { spawn, spawnSync } = require('node:child_process');

const TIME_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
const METRIC = { '': 1, k: 1e3, M: 1e6, G: 1e9 };
const BYTES = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "812.00us" / "3.32ms" / "1.02s" -> milliseconds. */
function timeMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`wrk: cannot read the time '${text}'`);
  return Number(m[1]) * TIME_MS[m[2]];
}

/** "8.00k" -> 8000. */
function metric(text) {
  const m = /^([\d.]+)([kMG]?)$/.exec(text);
  if (!m) throw new Error(`wrk: cannot read the number '${text}'`);
  return Number(m[1]) * METRIC[m[2]];
}

/** "757.09KB" -> bytes. */
function bytes(text) {
  const m = /^([\d.]+)([KMGT]?B)$/.exec(text);
  if (!m) throw new Error(`wrk: cannot read the size '${text}'`);
  return Math.round(Number(m[1]) * BYTES[m[2]]);
}

/**
 * Parses wrk's report. Latencies are in milliseconds. Throws when the report has no Requests/sec line (wrk failed,
 * e.g. could not connect at all).
 */
function parse(output) {
  const line = (re) => re.exec(output);
  const rps = line(/^Requests\/sec:\s+([\d.]+)/m);
  if (!rps) throw new Error(`wrk: no Requests/sec in its output:\n${output.trim()}`);
  const result = {
    rps: Number(rps[1]),
    requests: 0,
    durationS: 0,
    bytesRead: 0,
    latencyMs: { avg: NaN, stdev: NaN, max: NaN, p50: NaN, p75: NaN, p90: NaN, p99: NaN },
    reqPerSecPerThread: { avg: NaN, stdev: NaN, max: NaN },
    errors: { connect: 0, read: 0, write: 0, timeout: 0 },
    non2xx3xx: 0,
    threads: 0,
    connections: 0,
  };
  const total = line(/^\s*(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/m);
  if (total) {
    result.requests = Number(total[1]);
    result.durationS = timeMs(total[2]) / 1e3;
    result.bytesRead = bytes(total[3]);
  }
  const lat = line(/^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m);
  if (lat) Object.assign(result.latencyMs, { avg: timeMs(lat[1]), stdev: timeMs(lat[2]), max: timeMs(lat[3]) });
  const rs = line(/^\s*Req\/Sec\s+(\S+)\s+(\S+)\s+(\S+)/m);
  if (rs) result.reqPerSecPerThread = { avg: metric(rs[1]), stdev: metric(rs[2]), max: metric(rs[3]) };
  for (const p of [50, 75, 90, 99]) {
    const m = line(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm'));
    if (m) result.latencyMs[`p${p}`] = timeMs(m[1]);
  }
  const errs = line(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  if (errs) result.errors = { connect: +errs[1], read: +errs[2], write: +errs[3], timeout: +errs[4] };
  const non = line(/Non-2xx or 3xx responses: (\d+)/);
  if (non) result.non2xx3xx = Number(non[1]);
  const tc = line(/(\d+) threads and (\d+) connections/);
  if (tc) Object.assign(result, { threads: +tc[1], connections: +tc[2] });
  return result;
}

/**
 * Errors that mean something went wrong. wrk 4.x counts one read error per response that ends at connection close
 * (no Content-Length, like the hello server's): after the response completes, its EOF check sees a fresh parser and
 * reports an error (and opens a second connection). Those are expected; anything beyond them is not.
 */
function unexpectedErrors(r) {
  return r.errors.connect + r.errors.write + r.errors.timeout + Math.max(0, r.errors.read - r.requests) + r.non2xx3xx;
}

function available(bin = 'wrk') {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return !r.error;
}

const running = new Set();

/** Kills the wrk processes still running (the caller is exiting). */
function killAll() {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Runs wrk against `url`; resolves with the parsed report plus its raw text. Killed after durationS + 30 s.
 */
function run(url, { threads = 1, connections = 50, durationS = 10, timeoutS = 5, bin = 'wrk' } = {}) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, `--timeout`, `${timeoutS}s`, '--latency', url];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (durationS + 30) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${e.message} (install it: node scripts/setup-test-deps.js)`));
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${bin} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${(err || out).trim()}`));
      try {
        resolve({ ...parse(out), raw: out, command: [bin, ...args].join(' ') });
      } catch (e) {
        reject(e);
      }
    });
  });
}

module.exports = { parse, run, killAll, available, unexpectedErrors, timeMs, metric, bytes };

if (require.main === module) {
  process.stdout.write('bench/wrk.js is a module (runs wrk, parses its report) used by bench/run.js; see `node bench/run.js --help`.\n');
}
