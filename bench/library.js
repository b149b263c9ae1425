#!/usr/bin/env node
// The library's two run() modes, side by side: the default (the guest on a worker of a pool made for the run)
// and `inThread: true` (the guest on the calling thread). Two figures per mode:
//   startup   ms from run() to its promise settling, for a guest that writes one line
//   host call ns per call of a guest looping over fd_fdstat_get(1, buf) (N calls; the startup median subtracted)
// Rounds alternate the modes; medians are reported.
//
// Usage: node bench/library.js [--rounds R] [--calls N] [--json]
'use strict';
const path = require('node:path');

function parseArgs(argv) {
  const opts = { rounds: 9, calls: 2_000_000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds' || a === '--calls') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      opts[a.slice(2)] = v;
    } else if (a === '--json') opts.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node bench/library.js [--rounds R] [--calls N] [--json]\n');
      process.exit(0);
    } else {
      process.stderr.write(`bench/library.js: unknown option ${a} (see --help)\n`);
      process.exit(2);
    }
  }
  return opts;
}

const HELLO = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "\\20\\00\\00\\00\\03\\00\\00\\00")
  (data (i32.const 32) "hi\\n")
  (func (export "_start") (drop (call $w (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))))`;

const calls = (n) => `(module
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $f (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $n i32)
    (local.set $n (i32.const ${n}))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $f (i32.const 1) (i32.const 64)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))))`;

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { run } = require(path.join(__dirname, '..', 'dist', 'index.js'));
  const hello = Buffer.from(HELLO);
  const loop = Buffer.from(calls(opts.calls));
  const modes = { worker: {}, inThread: { inThread: true } };
  const results = { worker: { startup: [], total: [] }, inThread: { startup: [], total: [] } };
  const time = async (bytes, extra) => {
    const t0 = process.hrtime.bigint();
    const code = await run(bytes, { stdio: 'ignore', ...extra });
    if (code !== 0) throw new Error(`guest exited ${code}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (const extra of Object.values(modes)) await time(hello, extra); // warm-up: module loading, wabt
  for (let r = 0; r < opts.rounds; r++) {
    for (const [name, extra] of r % 2 ? Object.entries(modes).reverse() : Object.entries(modes)) {
      results[name].startup.push(await time(hello, extra));
      results[name].total.push(await time(loop, extra));
    }
  }
  const report = {};
  for (const name of Object.keys(modes)) {
    const startup = median(results[name].startup);
    report[name] = { startupMs: +startup.toFixed(2), hostCallNs: +(((median(results[name].total) - startup) * 1e6) / opts.calls).toFixed(1) };
  }
  if (opts.json) process.stdout.write(JSON.stringify({ rounds: opts.rounds, calls: opts.calls, ...report }) + '\n');
  else {
    for (const [name, r] of Object.entries(report)) console.log(`${name.padEnd(9)} startup ${r.startupMs} ms, host call ${r.hostCallNs} ns`);
    console.log(`worker/inThread: startup ${(report.worker.startupMs / report.inThread.startupMs).toFixed(2)}x, host call ${(report.worker.hostCallNs / report.inThread.hostCallNs).toFixed(2)}x`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench/library.js: ${e.stack ?? e}\n`);
  process.exit(1);
});
