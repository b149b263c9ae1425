#!/usr/bin/env node
// Guest thread start latency (thread-spawn call -> wasi_thread_start running), p50 and p99, with a warm worker
// pool (workers started and idle) and cold (a fresh worker per thread). Usage: node bench/threadstart.js [count]
'use strict';
const USAGE = `usage: node bench/threadstart.js [COUNT]      (npm run bench:threads -- [COUNT])

Guest thread start latency (thread-spawn -> wasi_thread_start running), p50/p99/max in us, for COUNT threads
(default 200) on a warm worker pool and min(COUNT, 50) cold (a fresh worker per thread). Needs npm run build.
`;
{
  const a = process.argv[2];
  if (a === '-h' || a === '--help') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (a !== undefined && !(Number.isInteger(Number(a)) && Number(a) > 0)) {
    process.stderr.write(`bench/threadstart: COUNT must be a positive integer, not ${JSON.stringify(a)}\n\n${USAGE}`);
    process.exit(2);
  }
}
const path = require('node:path');
const { loadModule } = require('../dist/loader');
const { createGuestProcess } = require('../dist/runner');
const { createImportedMemory, planLinking } = require('../dist/linker');
const { createThreadPool, runThreadedProcess } = require('../dist/threads');

const count = Number(process.argv[2] || 200);

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label, poolOpts, n) {
  const loaded = await loadModule(path.join(__dirname, 'fixtures', 'threadstart.wat'));
  const plan = planLinking(loaded.imports);
  const memory = createImportedMemory(plan.memoryImport);
  const pool = createThreadPool(poolOpts);
  // Let the warm pool finish starting its workers before measuring.
  await new Promise((r) => setTimeout(r, 500));
  const pid = createGuestProcess({ args: ['threadstart'] });
  // The count is read from the exported global by the guest: set it through memory-independent means (argv is
  // simpler for a WAT guest to ignore), so patch the global's initial value via a tiny wrapper module instead.
  const outcome = await runThreadedProcess(pool, { ...loaded, module: withCount(loaded, n) }, pid, memory, {});
  if (outcome.status !== 'exit' || outcome.code !== 0) throw new Error(`${label}: guest ended with ${JSON.stringify(outcome)}`);
  const view = new DataView(memory.buffer);
  const us = [];
  for (let i = 0; i < n; i++) us.push(Number(view.getBigUint64(16 + i * 16, true) - view.getBigUint64(8 + i * 16, true)) / 1000);
  await pool.destroy().catch(() => {});
  us.sort((a, b) => a - b);
  return { label, n, p50_us: +pct(us, 50).toFixed(1), p99_us: +pct(us, 99).toFixed(1), max_us: +us[us.length - 1].toFixed(1) };
}

// Rebuilds the module with a different initial `count` (the only global) by editing the wat text.
function withCount(loaded, n) {
  const fs = require('node:fs');
  const wabt = require('wabt');
  const text = fs.readFileSync(loaded.file, 'utf8').replace('(mut i32) (i32.const 200)', `(mut i32) (i32.const ${n})`);
  return wabtCompile(wabt, text);
}

let wabtInstance;
function wabtCompile(_wabt, text) {
  const features = { threads: true };
  const m = wabtInstance.parseWat('threadstart.wat', text, features);
  const bin = m.toBinary({}).buffer;
  m.destroy();
  return new WebAssembly.Module(bin);
}

(async () => {
  wabtInstance = await require('wabt')();
  const warm = await measure('warm pool', { warm: 2 }, count);
  const cold = await measure('cold (new worker per thread)', { warm: 0, idleTimeoutMs: 0 }, Math.min(count, 50));
  console.table([warm, cold]);
  console.log(JSON.stringify({ bench: 'threadstart', results: [warm, cold] }));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
