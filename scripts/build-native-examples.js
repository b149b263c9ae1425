#!/usr/bin/env node
// Builds the C example servers both ways, for the tests and the benchmarks:
//   native: cc -O2 -o bench/native/build/keepalive-server examples/keepalive-server/server.c
//   WASIX:  test/fixtures/build/keepalive_server.wasm (the fixture test/fixtures/c/keepalive_server.c, which
//           includes server.c, compiled by scripts/build-fixtures.js)
// Each output is rebuilt only when it is missing or older than one of its sources: every file in the example's
// directory (server.c, wasix_posix.h) and, for the WASIX build, the project's include/wasix headers.
//
// The same for the nginx-pattern fixture (test/fixtures/c/posted_events_server.c → bench/native/build/nginx-pattern and
// test/fixtures/build/posted_events_server.wasm).
// CLI: node scripts/build-native-examples.js [--nginx-pattern]  → prints { native, wasm } as JSON
// API: require('./scripts/build-native-examples.js').buildKeepalive() / .buildNginxPattern() → { native, wasm }
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
// $CC may carry a launcher ("ccache gcc"): split it into the program and its leading arguments.
const CC = (process.env.CC || 'cc').trim().split(/\s+/);

const filesIn = (dir) => fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(dir, e.name));

function stale(out, deps) {
  if (!fs.existsSync(out)) return true;
  const t = fs.statSync(out).mtimeMs;
  return deps.some((d) => fs.statSync(d).mtimeMs > t);
}

function buildKeepalive() {
  const dir = path.join(root, 'examples', 'keepalive-server');
  const src = path.join(dir, 'server.c');
  const own = filesIn(dir).filter((f) => /\.[ch]$/.test(f));

  const native = path.join(root, 'bench', 'native', 'build', 'keepalive-server');
  if (stale(native, own)) {
    fs.mkdirSync(path.dirname(native), { recursive: true });
    execFileSync(CC[0], [...CC.slice(1), '-O2', '-Wall', '-o', native, src], { stdio: 'inherit' });
  }

  const fixture = path.join(root, 'test', 'fixtures', 'c', 'keepalive_server.c');
  const wasm = path.join(root, 'test', 'fixtures', 'build', 'keepalive_server.wasm');
  if (stale(wasm, [fixture, ...own, ...filesIn(path.join(root, 'include', 'wasix'))])) {
    fs.mkdirSync(path.dirname(wasm), { recursive: true });
    execFileSync(process.execPath, [path.join(__dirname, 'build-fixtures.js'), fixture, wasm], { stdio: 'inherit' });
  }
  return { native, wasm };
}

// The nginx-pattern fixture (test/fixtures/c/posted_events_server.c): one C file, built for WASIX by the fixture build
// and natively here, for test/nginx-pattern.test.ts and bench/servers.js (ngx-pattern-*).
function buildNginxPattern() {
  const src = path.join(root, 'test', 'fixtures', 'c', 'posted_events_server.c');
  const deps = [src, ...filesIn(path.join(root, 'examples', 'keepalive-server'))];
  const native = path.join(root, 'bench', 'native', 'build', 'nginx-pattern');
  if (stale(native, [src])) {
    fs.mkdirSync(path.dirname(native), { recursive: true });
    execFileSync(CC[0], [...CC.slice(1), '-O2', '-Wall', '-o', native, src], { stdio: 'inherit' });
  }
  const wasm = path.join(root, 'test', 'fixtures', 'build', 'posted_events_server.wasm');
  if (stale(wasm, [...deps, ...filesIn(path.join(root, 'include', 'wasix'))])) {
    fs.mkdirSync(path.dirname(wasm), { recursive: true });
    execFileSync(process.execPath, [path.join(__dirname, 'build-fixtures.js'), src, wasm], { stdio: 'inherit' });
  }
  return { native, wasm };
}

module.exports = { buildKeepalive, buildNginxPattern };

if (require.main === module) console.log(JSON.stringify(process.argv[2] === '--nginx-pattern' ? buildNginxPattern() : buildKeepalive()));
