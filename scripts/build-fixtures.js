#!/usr/bin/env node
// Builds the C test fixtures (test/fixtures/c/*.c) to WASIX modules in test/fixtures/build/, with clang-19 for
// wasm32-wasi against Debian's wasi-libc and the project's own WASIX import declarations (include/).
// Rebuilds only what changed. Also usable for examples: `node scripts/build-fixtures.js file.c out.wasm`.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const CC = process.env.WASMX_CC || 'clang-19';
const SYSROOT = process.env.WASI_SYSROOT || '/usr';

function compile(src, out) {
  // __stack_pointer is exported as wasix-libc's toolchain does: closures (closure_prepare) put their frame on it.
  const args = ['--target=wasm32-wasi', `--sysroot=${SYSROOT}`, '-O2', '-g0', '-Wall', '-Werror=implicit-function-declaration',
    '-Wl,--export=__stack_pointer', '-I', path.join(root, 'include'), '-o', out, src];
  // Threaded fixtures (name ends in _mt.c) share an imported memory and export wasi_thread_start.
  if (/_mt\.c$/.test(src)) {
    args.unshift('-matomics', '-mbulk-memory', '-Wl,--shared-memory', '-Wl,--import-memory', '-Wl,--max-memory=67108864',
      '-Wl,--export=wasi_thread_start');
  }
  execFileSync(CC, args, { stdio: 'inherit' });
}

function stale(src, out, deps) {
  if (!fs.existsSync(out)) return true;
  const t = fs.statSync(out).mtimeMs;
  return [src, ...deps].some((d) => fs.statSync(d).mtimeMs > t);
}

function main() {
  if (process.argv.length === 4) return compile(process.argv[2], process.argv[3]);
  const srcDir = path.join(root, 'test', 'fixtures', 'c');
  const outDir = path.join(root, 'test', 'fixtures', 'build');
  fs.mkdirSync(outDir, { recursive: true });
  const headers = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p); else if (p.endsWith('.h')) headers.push(p);
  });
  walk(path.join(root, 'include'));
  for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith('.c')).sort()) {
    const src = path.join(srcDir, f);
    const out = path.join(outDir, f.replace(/\.c$/, '.wasm'));
    if (stale(src, out, headers)) compile(src, out);
  }
}

main();
