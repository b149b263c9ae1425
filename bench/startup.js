#!/usr/bin/env node
// Wall time of `wasmx run` for a C hello world (wasi-libc) against Node's built-in node:wasi running the same
// module, median of N runs each, alternating. Target (issue 4): wasmx <= 1.3x node:wasi.
// Usage: node bench/startup.js [runs]
'use strict';
const USAGE = `usage: node bench/startup.js [RUNS]      (npm run bench:startup -- [RUNS])

Wall time of \`wasmx run\` for a C hello world (bench/fixtures/hello.c) against Node's node:wasi running the same
module: the median of RUNS runs each (default 20), alternating. Prints a table and one JSON line.
`;
{
  const a = process.argv[2];
  if (a === '-h' || a === '--help') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (a !== undefined && !(Number.isInteger(Number(a)) && Number(a) > 0)) {
    process.stderr.write(`bench/startup: RUNS must be a positive integer, not ${JSON.stringify(a)}\n\n${USAGE}`);
    process.exit(2);
  }
}
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const runs = Number(process.argv[2] || 20);
const out = path.join(__dirname, 'build', 'hello.wasm');
fs.mkdirSync(path.dirname(out), { recursive: true });
const src = path.join(__dirname, 'fixtures', 'hello.c');
if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-fixtures.js'), src, out], { stdio: 'inherit' });
}
const nodeWasi = path.join(__dirname, 'node', 'wasi_run.js');

function time(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 || r.stdout !== 'Hello, World!\n') throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const wasmx = [];
const nodew = [];
for (let i = 0; i < runs; i++) {
  wasmx.push(time([path.join(root, 'bin', 'wasmx.js'), 'run', out]));
  nodew.push(time(['--no-warnings', nodeWasi, out]));
}
const result = { bench: 'startup', runs, wasmx_ms: +median(wasmx).toFixed(1), node_wasi_ms: +median(nodew).toFixed(1) };
result.ratio = +(result.wasmx_ms / result.node_wasi_ms).toFixed(2);
console.table([result]);
console.log(JSON.stringify(result));
