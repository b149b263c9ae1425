#!/usr/bin/env node
// Builds the addon with AddressSanitizer + UBSan through cmake-js (CMakeLists.txt, -DWASMX_SANITIZE=ON) into
// build-asan/Release/wasmx.node.
//
//   node scripts/build-asan.js [COMMAND] [cmake-js options]
//
// COMMAND is a cmake-js command, default `build` (incremental; configures first when needed); `rebuild` starts
// from scratch. Other arguments go to cmake-js (e.g. --log-level verbose).
//
// Offline: cmake-js wants Node's headers and downloads them unless its runtime directory already holds
// include/node/node.h. It takes that directory from npm's `nodedir` setting, i.e. the environment variable
// npm_config_nodedir (lib/buildSystem.js). When that is not set we point it at the running Node's own install
// prefix (<prefix>/bin/node -> <prefix>/include/node, /usr for Debian's nodejs), which ships the headers.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const hasHeaders = (dir) => !!dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'));

const env = { ...process.env };
if (!hasHeaders(env.npm_config_nodedir)) {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (hasHeaders(prefix)) env.npm_config_nodedir = prefix;
  else console.error(`build-asan: no Node headers in ${prefix}/include/node; cmake-js will try to download them`);
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
const rest = process.argv.slice(2);
const command = rest[0] && !rest[0].startsWith('-') ? rest.shift() : 'build';
const args = [cmakeJs, command, '--CDWASMX_SANITIZE=ON', '--out', 'build-asan', '--parallel', String(os.cpus().length), ...rest];
console.error(`build-asan: npm_config_nodedir=${env.npm_config_nodedir ?? '(unset)'} cmake-js ${args.slice(1).join(' ')}`);
const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
