#!/usr/bin/env node
// node scripts/module-to-wasm.js IN OUT — writes module IN as a WebAssembly binary at OUT: a .wasm is copied, WAT
// text is compiled with the same wabt step wasmx uses at load time. The container build (Dockerfile) uses it so the
// image holds a binary and starts without parsing text. Needs dist/ (npm run build:ts).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [input, output] = process.argv.slice(2);
if (!input || !output || input === '--help') {
  process.stderr.write('usage: node scripts/module-to-wasm.js IN.wasm|IN.wat OUT.wasm\n');
  process.exit(input === '--help' ? 0 : 2);
}
(async () => {
  const bytes = fs.readFileSync(input);
  const isBinary = bytes.length >= 4 && bytes.readUInt32BE(0) === 0x0061736d;
  const { watToWasm } = require(path.join(__dirname, '..', 'dist', 'index.js'));
  const wasm = isBinary ? bytes : await watToWasm(input, new Uint8Array(bytes));
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  fs.writeFileSync(output, wasm);
})().catch((e) => {
  process.stderr.write(`module-to-wasm: ${e.message}\n`);
  process.exit(2);
});
