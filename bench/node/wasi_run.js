// Runs a WASI command with Node's built-in node:wasi (the baseline of bench/startup.js).
'use strict';
const { WASI } = require('node:wasi');
const fs = require('node:fs');
const wasi = new WASI({ version: 'preview1', args: [process.argv[2]], env: {} });
const compiled = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const instance = new WebAssembly.Instance(compiled, wasi.getImportObject());
process.exitCode = wasi.start(instance);
