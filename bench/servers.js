// The servers bench/run.js can measure, in one list. Each descriptor:
//   name         what --only selects and the table shows
//   kind         'wasmx' (a guest under wasmx), 'native' (a host binary), 'node' (a Node.js script)
//   description  one line for --list
//   default      measured when --only is not given
//   compareTo    the server whose req/s is this one's baseline (the table's ratio column)
//   gated        the run fails when ratio < --min-ratio (only meaningful with compareTo)
//   prepare(ctx) builds what start needs (called once, before any measurement); throws with a reason if it can't
//   start(port, ctx) -> { command, args, env? } (or { shell }): how to run it listening on 127.0.0.1:port; ctx.cli
//                is the wasmx CLI to use (bench/run.js --against points it at another build)
//   path         the URL path wrk and the readiness probe request (default /)
//
// Adding a server = adding an entry. The helpers below build C sources natively (system cc) or for WASIX (the
// fixture toolchain, scripts/build-fixtures.js) into bench/native/build/, only when the source is newer.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const BUILD = path.join(__dirname, 'native', 'build');
const CLI = path.join(ROOT, 'bin', 'wasmx.js');

function stale(out, sources) {
  if (!fs.existsSync(out)) return true;
  const t = fs.statSync(out).mtimeMs;
  return sources.some((s) => fs.statSync(s).mtimeMs > t);
}

/** Compiles a C file to a host executable with the system cc (CC overrides); returns its path. */
function buildNativeC(source, name = path.basename(source, '.c')) {
  const out = path.join(BUILD, name);
  if (stale(out, [source])) {
    fs.mkdirSync(BUILD, { recursive: true });
    const cc = (process.env.CC || 'cc').trim().split(/\s+/); // may carry a launcher: "ccache gcc"
    execFileSync(cc[0], [...cc.slice(1), '-O2', '-Wall', '-Wextra', '-o', out, source], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return out;
}

/** Compiles a C file to a WASIX module with the fixture toolchain (clang-19, wasi-libc, include/); returns its path. */
function buildWasixC(source, name = path.basename(source, '.c')) {
  const out = path.join(BUILD, `${name}.wasm`);
  if (stale(out, [source])) {
    fs.mkdirSync(BUILD, { recursive: true });
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-fixtures.js'), source, out], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return out;
}

/** Checks that the wasmx CLI can run (TypeScript built, addon loadable). */
function requireWasmxBuilt() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run npm run build');
}

/** `wasmx run --net --env PORT=port [flags] module`: a guest server that reads its port from $PORT. */
function wasmxServer(modulePath, flags = []) {
  return (port, ctx) => ({ command: process.execPath, args: [ctx?.cli ?? CLI, 'run', '--net', ...flags, '--env', `PORT=${port}`, modulePath] });
}

/** `wasmx serve --threads n --net --env PORT=port module`: n instances sharing the port (SO_REUSEPORT). */
function wasmxServe(modulePath, n) {
  return (port, ctx) => ({ command: process.execPath, args: [ctx?.cli ?? CLI, 'serve', '--threads', String(n), '--net', '--env', `PORT=${port}`, modulePath] });
}

/** The keep-alive epoll server, one source built both ways (scripts/build-native-examples.js). */
function keepalive(ctx) {
  if (!ctx.binaries.keepalive) ctx.binaries.keepalive = require('../scripts/build-native-examples.js').buildKeepalive();
  return ctx.binaries.keepalive;
}

/** The nginx-pattern fixture built both ways, and its document root (an 896-byte index.html, nginx's size). */
function nginxPattern(ctx) {
  if (!ctx.binaries.nginxPattern) {
    const b = require('../scripts/build-native-examples.js').buildNginxPattern();
    const docroot = path.join(BUILD, 'ngx-www');
    fs.mkdirSync(docroot, { recursive: true });
    fs.writeFileSync(path.join(docroot, 'index.html'), `${'x'.repeat(896 - 15)}<!-- nginx -->\n`);
    ctx.binaries.nginxPattern = { ...b, docroot };
  }
  return ctx.binaries.nginxPattern;
}

const HELLO_WAT = path.join(ROOT, 'examples', 'hello-server.wat');
const HELLO_C = path.join(__dirname, 'native', 'hello_server.c');

const servers = [
  {
    name: 'wasmx',
    kind: 'wasmx',
    description: 'examples/hello-server.wat under `wasmx run --net` (accept, send, shutdown, close; --offload auto)',
    default: true,
    compareTo: 'native',
    gated: true,
    prepare() {
      requireWasmxBuilt();
      if (!fs.existsSync(HELLO_WAT)) throw new Error(`${path.relative(ROOT, HELLO_WAT)} is missing (it comes with the socket calls)`);
    },
    start: wasmxServer(HELLO_WAT),
  },
  // The offload modes (README "Offload"), one descriptor each from this list: the same loop with --offload MODE.
  ...['off', 'threads', 'uring'].map((mode) => ({
    name: `wasmx-offload-${mode}`,
    kind: 'wasmx',
    description: `examples/hello-server.wat under \`wasmx run --net --offload ${mode}\``,
    default: false,
    compareTo: 'native',
    gated: false,
    prepare() {
      requireWasmxBuilt();
    },
    start: wasmxServer(HELLO_WAT, ['--offload', mode]),
  })),
  {
    name: 'native',
    kind: 'native',
    description: 'bench/native/hello_server.c built with the system cc: the same loop, no runtime',
    default: true,
    prepare(ctx) {
      ctx.binaries.native = buildNativeC(HELLO_C);
    },
    start: (port, ctx) => ({ command: ctx.binaries.native, args: [String(port)] }),
  },
  {
    name: 'node-net',
    kind: 'node',
    description: "bench/node/hello_server.js: the same loop on Node's net module",
    default: false,
    compareTo: 'native',
    start: (port) => ({ command: process.execPath, args: [path.join(__dirname, 'node', 'hello_server.js'), String(port)] }),
  },
  {
    name: 'ka-wasmx',
    kind: 'wasmx',
    description: 'examples/keepalive-server (epoll, keep-alive) built for WASIX, under `wasmx run --net`',
    default: false,
    compareTo: 'ka-native',
    gated: true,
    prepare(ctx) {
      requireWasmxBuilt();
      keepalive(ctx);
    },
    start: (port, ctx) => wasmxServer(keepalive(ctx).wasm)(port, ctx),
  },
  // The keep-alive server in each offload mode (one descriptor per mode, generated).
  ...['off', 'threads', 'uring'].map((mode) => ({
    name: `ka-wasmx-offload-${mode}`,
    kind: 'wasmx',
    description: `the keep-alive server under \`wasmx run --net --offload ${mode}\``,
    default: false,
    compareTo: 'ka-native',
    gated: false,
    prepare(ctx) {
      requireWasmxBuilt();
      keepalive(ctx);
    },
    start: (port, ctx) => wasmxServer(keepalive(ctx).wasm, ['--offload', mode])(port, ctx),
  })),
  {
    name: 'ka-native',
    kind: 'native',
    description: 'examples/keepalive-server built natively with the system cc',
    default: false,
    prepare: (ctx) => keepalive(ctx),
    start: (port, ctx) => ({ command: keepalive(ctx).native, args: [String(port)] }),
  },
  // nginx's calls in nginx's order (test/fixtures/c/posted_events_server.c): EPOLLET connections, a level-triggered
  // listener, open + fstat + read + writev per request, keep-alive. A stand-in for nginx that is in the repo.
  {
    name: 'ngx-pattern-wasmx',
    kind: 'wasmx',
    description: 'test/fixtures/c/posted_events_server.c (nginx-like: epoll ET, a file per request, writev) under `wasmx run --net --dir`',
    default: false,
    compareTo: 'ngx-pattern-native',
    gated: true,
    prepare(ctx) {
      requireWasmxBuilt();
      nginxPattern(ctx);
    },
    start: (port, ctx) => ({ command: process.execPath,
      args: [ctx.cli ?? CLI, 'run', '--net', '--dir', `${nginxPattern(ctx).docroot}::/www`, nginxPattern(ctx).wasm, String(port), '/www'] }),
  },
  {
    name: 'ngx-pattern-native',
    kind: 'native',
    description: 'test/fixtures/c/posted_events_server.c built natively with the system cc',
    default: false,
    prepare: (ctx) => nginxPattern(ctx),
    start: (port, ctx) => ({ command: nginxPattern(ctx).native, args: [String(port), nginxPattern(ctx).docroot] }),
  },
  {
    name: 'ka-node-http',
    kind: 'node',
    description: "bench/node/http_server.js: Node's http hello world (keep-alive), the everyday alternative",
    default: false,
    compareTo: 'ka-native',
    start: (port) => ({ command: process.execPath, args: [path.join(__dirname, 'node', 'http_server.js'), String(port)] }),
  },
  // serve: N instances of one module sharing the port. On a 2-core machine wrk takes a core, so 2 instances
  // mostly show the overhead of sharing; the scaling figure needs a machine with free cores.
  ...[1, 2, 4, 8].map((n) => ({
    name: `serve${n}`,
    kind: 'wasmx',
    description: `examples/hello-server.wat under \`wasmx serve --threads ${n}\``,
    default: false,
    compareTo: 'native',
    prepare: () => requireWasmxBuilt(),
    start: wasmxServe(HELLO_WAT, n),
  })),
  ...[1, 2, 4, 8].map((n) => ({
    name: `ka-serve${n}`,
    kind: 'wasmx',
    description: `the keep-alive server under \`wasmx serve --threads ${n}\``,
    default: false,
    compareTo: 'ka-native',
    prepare(ctx) {
      requireWasmxBuilt();
      keepalive(ctx);
    },
    start: (port, ctx) => wasmxServe(keepalive(ctx).wasm, n)(port, ctx),
  })),
];

module.exports = { servers, buildNativeC, buildWasixC, wasmxServer, wasmxServe, requireWasmxBuilt };

if (require.main === module) {
  process.stdout.write('bench/servers.js is the list of servers bench/run.js measures: `node bench/run.js --list` shows them.\n');
}
