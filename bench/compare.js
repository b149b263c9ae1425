// A/B comparison of benchmark rounds (bench/run.js --against / --baseline) and the SVG chart beside the results.
// The verdict is noise-aware: per metric, the ratio of the medians (new / old) with a bootstrap 95 % interval
// (rounds resampled with replacement on each side); a change counts only when the whole interval is on the bad
// side of 1 and the median ratio is beyond the tolerance. A module: `node bench/compare.js` says where to look.
'use strict';
const { median } = require('./harness');

// Seeded PRNG (mulberry32): the same rounds give the same interval on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bootstrap interval of median(b) / median(a): { ratio, low, high } (low = high = ratio with one round each). */
function medianRatioInterval(a, b, { resamples = 2000, seed = 1 } = {}) {
  const ratio = median(b) / median(a);
  const rand = rng(seed);
  const pick = (xs) => Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]);
  const rs = [];
  for (let i = 0; i < resamples; i++) rs.push(median(pick(b)) / median(pick(a)));
  rs.sort((x, y) => x - y);
  return { ratio, low: rs[Math.floor(0.025 * (rs.length - 1))], high: rs[Math.ceil(0.975 * (rs.length - 1))] };
}

// What is compared per server: field of a round, and which direction is better.
const METRICS = [
  { key: 'rps', label: 'req/s', higherIsBetter: true, gate: true },
  { key: 'serverCpuUsPerReq', label: 'cpu us/req', higherIsBetter: false, gate: true },
  { key: 'p50', label: 'p50 ms', higherIsBetter: false, gate: false },
  { key: 'p99', label: 'p99 ms', higherIsBetter: false, gate: false },
];

/**
 * Compares the rounds of `oldRounds` and `newRounds` (arrays of { rps, p50, p99, serverCpuUsPerReq }).
 * Returns one entry per metric: { metric, old, new, ratio, low, high, verdict } where verdict is 'regression',
 * 'improvement', 'within noise' or 'too few rounds' (fewer than 3 on a side: no interval worth the name).
 */
function compareRounds(oldRounds, newRounds, { tolerance = 0.05 } = {}) {
  const out = [];
  for (const m of METRICS) {
    const a = oldRounds.map((r) => r[m.key]).filter((x) => Number.isFinite(x) && x > 0);
    const b = newRounds.map((r) => r[m.key]).filter((x) => Number.isFinite(x) && x > 0);
    if (!a.length || !b.length) continue;
    const iv = medianRatioInterval(a, b);
    let verdict;
    if (a.length < 3 || b.length < 3) verdict = 'too few rounds';
    else {
      const worse = m.higherIsBetter ? iv.high < 1 && iv.ratio < 1 - tolerance : iv.low > 1 && iv.ratio > 1 + tolerance;
      const better = m.higherIsBetter ? iv.low > 1 && iv.ratio > 1 + tolerance : iv.high < 1 && iv.ratio < 1 - tolerance;
      verdict = worse ? 'regression' : better ? 'improvement' : 'within noise';
    }
    out.push({ metric: m.label, key: m.key, gate: m.gate, old: median(a), new: median(b), ratio: iv.ratio, low: iv.low, high: iv.high, verdict });
  }
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Rounds up to 1, 2 or 5 times a power of ten: a readable axis maximum. */
function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((k) => k * p).find((v) => v >= x);
}

/**
 * The chart: req/s of every round per server (left), and each server's latency percentiles p50/p75/p90/p99 of
 * its median round (right, one bar group per server). Hand-written SVG, no dependencies.
 */
function chartSvg(report) {
  const results = report.results;
  const W = 1000, H = 420, top = 50, bottom = 80, left = 70, mid = 520, right = 30;
  const ph = H - top - bottom;
  const parts = [];
  const text = (x, y, s, attrs = '') => parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  text(W / 2, 22, `wasmx bench ${report.date} — wrk -t${report.options.threads} -c${report.options.connections} -d${report.options.duration}s, ${report.options.rounds} round(s)`, 'text-anchor="middle" font-size="14"');

  // Left: req/s per round.
  const pw = mid - left - 40;
  const maxRounds = Math.max(1, ...results.map((r) => r.rounds.length));
  const maxRps = niceMax(Math.max(...results.flatMap((r) => r.rounds.map((x) => x.rps))));
  const xr = (i) => left + (maxRounds === 1 ? pw / 2 : (i * pw) / (maxRounds - 1));
  const yr = (v) => top + ph - (v / maxRps) * ph;
  parts.push(`<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (maxRps * k) / 4;
    parts.push(`<line x1="${left}" y1="${yr(v).toFixed(1)}" x2="${left + pw}" y2="${yr(v).toFixed(1)}" stroke="#ddd"/>`);
    text(left - 6, yr(v) + 4, Math.round(v), 'text-anchor="end" font-size="11"');
  }
  for (let i = 0; i < maxRounds; i++) text(xr(i), top + ph + 16, `round ${i + 1}`, 'text-anchor="middle" font-size="11"');
  text(left + pw / 2, top - 8, 'req/s per round', 'text-anchor="middle" font-size="13"');
  results.forEach((r, si) => {
    const c = COLORS[si % COLORS.length];
    const pts = r.rounds.map((x, i) => `${xr(i).toFixed(1)},${yr(x.rps).toFixed(1)}`);
    if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="2"/>`);
    r.rounds.forEach((x, i) => parts.push(`<circle cx="${xr(i).toFixed(1)}" cy="${yr(x.rps).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(`${r.name} round ${i + 1}: ${Math.round(x.rps)} req/s`)}</title></circle>`));
  });

  // Right: latency percentiles of the median round.
  const rx = mid + 40, rw = W - rx - right;
  const pcts = ['p50', 'p75', 'p90', 'p99'];
  const maxLat = niceMax(Math.max(...results.flatMap((r) => pcts.map((p) => r.latencyMs[p]).filter(Number.isFinite))));
  const yl = (v) => top + ph - (v / maxLat) * ph;
  parts.push(`<line x1="${rx}" y1="${top + ph}" x2="${rx + rw}" y2="${top + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${rx}" y1="${top}" x2="${rx}" y2="${top + ph}" stroke="#333"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (maxLat * k) / 4;
    parts.push(`<line x1="${rx}" y1="${yl(v).toFixed(1)}" x2="${rx + rw}" y2="${yl(v).toFixed(1)}" stroke="#ddd"/>`);
    text(rx - 6, yl(v) + 4, v.toFixed(maxLat < 4 ? 2 : 1), 'text-anchor="end" font-size="11"');
  }
  text(rx + rw / 2, top - 8, 'latency (ms) p50 / p75 / p90 / p99, median round', 'text-anchor="middle" font-size="13"');
  const gw = rw / Math.max(1, results.length);
  const bw = Math.min(16, (gw - 8) / pcts.length);
  results.forEach((r, si) => {
    const c = COLORS[si % COLORS.length];
    pcts.forEach((p, pi) => {
      const v = r.latencyMs[p];
      if (!Number.isFinite(v)) return;
      const x = rx + si * gw + (gw - bw * pcts.length) / 2 + pi * bw;
      parts.push(`<rect x="${x.toFixed(1)}" y="${yl(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(top + ph - yl(v)).toFixed(1)}" fill="${c}" fill-opacity="${(0.4 + 0.2 * pi).toFixed(1)}"><title>${esc(`${r.name} ${p}: ${v} ms`)}</title></rect>`);
    });
  });

  // Legend: one entry per server.
  results.forEach((r, si) => {
    const c = COLORS[si % COLORS.length];
    const x = left + (si % 4) * 230, y = H - bottom + 40 + Math.floor(si / 4) * 16;
    parts.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${c}"/>`);
    text(x + 14, y, `${r.name}: ${Math.round(r.rps)} req/s`, 'font-size="11"');
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + Math.floor(Math.max(0, results.length - 1) / 4) * 16}" ` +
    `viewBox="0 0 ${W} ${H + Math.floor(Math.max(0, results.length - 1) / 4) * 16}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}

module.exports = { medianRatioInterval, compareRounds, chartSvg, METRICS };

if (require.main === module) {
  process.stdout.write('bench/compare.js is a module (the A/B verdict and the SVG chart) used by bench/run.js; see `node bench/run.js --help`.\n');
}
