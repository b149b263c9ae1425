#!/usr/bin/env node
// Installs the Debian packages the tests and benchmarks need, when missing: the addon's build tools (python3,
// make, g++ for node-gyp; cmake for the sanitizer build), the fixture toolchain (clang-19, lld-19, wasi-libc, the
// wasm32 compiler runtime), wabt, wrk, liburing-dev. Uses apt-get as root,
// or sudo when available; prints what to install by hand otherwise.
'use strict';
const { execSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');

const NEEDED = [
  ['python3', () => has('python3')],
  ['make', () => has('make')],
  ['g++', () => has('g++')],
  ['cmake', () => has('cmake')],
  ['clang-19', () => has('clang-19')],
  ['lld-19', () => has('wasm-ld-19') || has('wasm-ld')],
  ['wasi-libc', () => fs.existsSync('/usr/lib/wasm32-wasi/libc.a')],
  ['libclang-rt-19-dev-wasm32', () => fs.existsSync('/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a')],
  ['wabt', () => has('wasm2wat')],
  ['wrk', () => has('wrk')],
  ['liburing-dev', () => fs.existsSync('/usr/include/liburing.h')],
];

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (process.platform !== 'linux') process.exit(0);
const missing = NEEDED.filter(([, ok]) => !ok()).map(([name]) => name);
if (missing.length === 0) process.exit(0);
if (!has('apt-get')) {
  console.error(`wasmx: tests need these packages: ${missing.join(' ')} (install them with your package manager)`);
  process.exit(1);
}
const sudo = process.getuid && process.getuid() === 0 ? '' : has('sudo') ? 'sudo ' : null;
if (sudo === null) {
  console.error(`wasmx: tests need: sudo apt-get install ${missing.join(' ')}`);
  process.exit(1);
}
console.error(`wasmx: installing ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execSync(`${sudo}apt-get update -qq`, { stdio: 'inherit', env });
execSync(`${sudo}apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`, { stdio: 'inherit', env });
