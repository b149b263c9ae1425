#!/usr/bin/env node
// Runs a handful of guest modules on the AddressSanitizer + UBSan build of the addon (npm run build:asan), through
// the CLI and the library API, and fails on any sanitizer report, wrong output or wrong exit status.
//
//   node scripts/asan-smoke.js [--with-tests] [path/to/wasmx.node]   (default: $WASMX_ADDON, then build-asan/Release/wasmx.node)
//
// --with-tests also runs the vitest suite with the sanitizer build (every CLI the tests spawn inherits the setup).
//
// Node itself is not instrumented, so the sanitizer runtime has to be loaded before anything else: each guest runs
// in a `node` child with LD_PRELOAD=<the libasan the addon links to>, WASMX_ADDON=<the addon> (src/native.ts loads
// that file instead of build/Release) and ASAN_OPTIONS=detect_leaks=0 (Node does not free everything at exit, and
// that is not ours to report).
'use strict';
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'wasmx.js');
const started = Date.now();

function die(msg) {
  console.error(`asan-smoke: ${msg}`);
  process.exit(1);
}

const argv = process.argv.slice(2);
const withTests = argv.includes('--with-tests');
const addonArg = argv.find((a) => !a.startsWith('--'));
const addon = path.resolve(addonArg || process.env.WASMX_ADDON || path.join(ROOT, 'build-asan', 'Release', 'wasmx.node'));
if (!fs.existsSync(addon)) die(`${addon} does not exist (build it: npm run build:asan)`);
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) die('dist/ is missing (npm run build:ts)');

/** The sanitizer runtime the addon was linked against (ldd), so that the preloaded one is the same. */
function asanRuntime() {
  if (process.platform !== 'linux') die('the ASan smoke test runs on Linux only (LD_PRELOAD)');
  let ldd = '';
  try {
    ldd = execFileSync('ldd', [addon], { encoding: 'utf8' });
  } catch (e) {
    die(`ldd ${addon} failed: ${e.message}`);
  }
  const m = /^\s*(lib(?:asan|clang_rt\.asan[^ ]*)\.so[^ ]*) => (\S+)/m.exec(ldd);
  if (!m) die(`${addon} is not linked against an ASan runtime: is it the sanitizer build?\n${ldd}`);
  return m[2];
}

const runtime = asanRuntime();
const env = {
  ...process.env,
  LD_PRELOAD: [runtime, process.env.LD_PRELOAD].filter(Boolean).join(':'),
  ASAN_OPTIONS: ['detect_leaks=0', 'abort_on_error=0', 'halt_on_error=1', process.env.ASAN_OPTIONS].filter(Boolean).join(':'),
  UBSAN_OPTIONS: ['print_stacktrace=1', 'halt_on_error=1', process.env.UBSAN_OPTIONS].filter(Boolean).join(':'),
  WASMX_ADDON: addon,
};

// ---- the guest modules ------------------------------------------------------------------------------------------

const P1 = 'wasi_snapshot_preview1';
const imp = (name, params, result = 'i32') =>
  `(import "${P1}" "${name}" (func $${name} (param ${params})${result ? ` (result ${result})` : ''}))`;
const wat = (s) => s.replace(/"([^"]*)"/g, (m, str) => `"${str.replace(/\n/g, '\\n')}"`);
// $ok: exit with 100 + errno unless the call returned SUCCESS.
const OK = `(func $ok (param $e i32) (if (local.get $e) (then (call $proc_exit (i32.add (i32.const 100) (local.get $e))))))`;
// $print: write `len` bytes at `ptr` to stdout.
const PRINT = `(func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr)) (i32.store (i32.const 4) (local.get $len))
    (call $ok (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))`;

const HELLO = 'hello from the sanitizer build\n';
const modules = {
  hello: `(module ${imp('fd_write', 'i32 i32 i32 i32')} ${imp('proc_exit', 'i32', null)}
  (memory (export "memory") 1)
  (data (i32.const 64) "${HELLO}")
  ${OK} ${PRINT}
  (func (export "_start") (call $print (i32.const 64) (i32.const ${HELLO.length}))))`,

  // argv and environ as the host laid them out: NUL-terminated strings, back to back.
  args: `(module ${imp('fd_write', 'i32 i32 i32 i32')} ${imp('proc_exit', 'i32', null)}
  ${imp('args_sizes_get', 'i32 i32')} ${imp('args_get', 'i32 i32')} ${imp('environ_sizes_get', 'i32 i32')} ${imp('environ_get', 'i32 i32')}
  (memory (export "memory") 1)
  ${OK} ${PRINT}
  (func (export "_start")
    (call $ok (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (call $ok (call $args_get (i32.const 256) (i32.const 4096)))
    (call $print (i32.const 4096) (i32.load (i32.const 20)))
    (call $ok (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (call $ok (call $environ_get (i32.const 256) (i32.const 8192)))
    (call $print (i32.const 8192) (i32.load (i32.const 20)))))`,

  // A tour of cheap calls, a preopen, an error path, then proc_exit(7).
  misc: `(module ${imp('fd_write', 'i32 i32 i32 i32')} ${imp('proc_exit', 'i32', null)}
  ${imp('fd_fdstat_get', 'i32 i32')} ${imp('clock_time_get', 'i32 i64 i32')} ${imp('clock_res_get', 'i32 i32')} ${imp('random_get', 'i32 i32')}
  ${imp('fd_prestat_get', 'i32 i32')} ${imp('fd_prestat_dir_name', 'i32 i32 i32')} ${imp('sched_yield', '')} ${imp('fd_close', 'i32')}
  (memory (export "memory") 1)
  ${OK} ${PRINT}
  (func (export "_start")
    (call $ok (call $fd_fdstat_get (i32.const 1) (i32.const 32)))
    (call $ok (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 32)))
    (call $ok (call $clock_res_get (i32.const 0) (i32.const 32)))
    (call $ok (call $random_get (i32.const 1024) (i32.const 4096)))
    (call $ok (call $sched_yield))
    (call $ok (call $fd_prestat_get (i32.const 3) (i32.const 32)))
    (call $ok (call $fd_prestat_dir_name (i32.const 3) (i32.const 512) (i32.load (i32.const 36))))
    (call $print (i32.const 512) (i32.load (i32.const 36)))
    (if (i32.ne (call $fd_fdstat_get (i32.const 99) (i32.const 32)) (i32.const 8)) (then (call $proc_exit (i32.const 90))))
    (call $ok (call $fd_close (i32.const 3)))
    (if (i32.ne (call $fd_prestat_get (i32.const 3) (i32.const 32)) (i32.const 8)) (then (call $proc_exit (i32.const 91))))
    (call $proc_exit (i32.const 7))))`,

  // Pointers past the end of memory must come back as FAULT (21), never touch host memory.
  fault: `(module ${imp('fd_write', 'i32 i32 i32 i32')} ${imp('proc_exit', 'i32', null)} ${imp('fd_fdstat_get', 'i32 i32')}
  ${imp('random_get', 'i32 i32')} ${imp('args_get', 'i32 i32')}
  (memory (export "memory") 1)
  (func $fault (param $e i32) (param $code i32) (if (i32.ne (local.get $e) (i32.const 21)) (then (call $proc_exit (local.get $code)))))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 0xfffffff0)) (i32.store (i32.const 4) (i32.const 100))
    (call $fault (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 80))
    (i32.store (i32.const 0) (i32.const 65500)) (i32.store (i32.const 4) (i32.const 100))
    (call $fault (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 81))
    (call $fault (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 2) (i32.const 8)) (i32.const 82))
    (call $fault (call $fd_fdstat_get (i32.const 1) (i32.const 65530)) (i32.const 83))
    (call $fault (call $random_get (i32.const 65000) (i32.const 1000)) (i32.const 84))
    (call $fault (call $args_get (i32.const 65535) (i32.const 0)) (i32.const 85))))`,

  // stdin to stdout until EOF.
  echo: `(module ${imp('fd_write', 'i32 i32 i32 i32')} ${imp('proc_exit', 'i32', null)} ${imp('fd_read', 'i32 i32 i32 i32')}
  (memory (export "memory") 1)
  ${OK} ${PRINT}
  (func (export "_start")
    (loop $more
      (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 7))
      (call $ok (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
      (if (i32.load (i32.const 24)) (then (call $print (i32.const 1024) (i32.load (i32.const 24))) (br $more))))))`,

  // A wasm out-of-bounds load: V8's trap handler (SIGSEGV) has to keep working with ASan's signal handling.
  trap: `(module (memory (export "memory") 1)
  (func (export "_start") (drop (i32.load (i32.const 0xfffffff0)))))`,
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmx-asan-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function compileModules() {
  const { watToWasm } = require(path.join(ROOT, 'dist', 'index.js'));
  const files = {};
  for (const [name, text] of Object.entries(modules)) {
    files[name] = path.join(tmp, `${name}.wasm`);
    fs.writeFileSync(files[name], await watToWasm(`${name}.wat`, wat(text)));
  }
  return files;
}

// ---- running them -----------------------------------------------------------------------------------------------

const SANITIZER_REPORT = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|ASan runtime does not come first/;
let failures = 0;

function check(name, args, { status = 0, stdout, stdoutMatch, input, stderrMatch, timeoutMs = 60_000 } = {}) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, input: input ?? '', encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const problems = [];
  if (r.error) problems.push(`could not run: ${r.error.message}`);
  if (SANITIZER_REPORT.test(r.stderr)) problems.push('sanitizer report');
  if (r.status !== status) problems.push(`exit ${r.status ?? r.signal}, expected ${status}`);
  if (stdout !== undefined && r.stdout !== stdout) problems.push(`stdout ${JSON.stringify(r.stdout)}, expected ${JSON.stringify(stdout)}`);
  if (stdoutMatch && !stdoutMatch.test(r.stdout)) problems.push(`stdout ${JSON.stringify(r.stdout.slice(0, 300))} does not match ${stdoutMatch}`);
  if (stderrMatch && !stderrMatch.test(r.stderr)) problems.push(`stderr does not match ${stderrMatch}`);
  const ms = Date.now() - t0;
  if (problems.length) {
    failures++;
    console.log(`FAIL ${name} (${ms} ms): ${problems.join('; ')}`);
    if (r.stderr) console.log(r.stderr.trim().split('\n').map((l) => `  | ${l}`).join('\n'));
  } else console.log(`ok   ${name} (${ms} ms)`);
}

// The socket path: examples/hello-server.wat under the sanitizer build, a few hundred connections, some concurrent.
async function checkServer() {
  const name = 'hello-server.wat: 300 HTTP requests';
  const example = path.join(ROOT, 'examples', 'hello-server.wat');
  if (!fs.existsSync(example)) return console.log(`skip ${name} (no examples/hello-server.wat)`);
  const t0 = Date.now();
  const port = await new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
  const server = spawn(process.execPath, [CLI, 'run', '--net', '--env', `PORT=${port}`, example], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => server.on('exit', (code, signal) => r(signal ?? `exit ${code}`)));
  const get = () => new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    sock.setTimeout(10_000, () => sock.destroy(new Error('timeout')));
    sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.on('data', (d) => (buf += d));
    sock.on('close', () => resolve(buf));
    sock.on('error', (e) => (buf ? resolve(buf) : reject(e)));
  });
  const problems = [];
  try {
    const deadline = Date.now() + 30_000;
    for (;;) { // until it listens
      try { await get(); break; } catch (e) {
        if (server.exitCode !== null || Date.now() > deadline) throw new Error(`server not up: ${e.message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const want = 'HTTP/1.1 200 OK\r\n\r\nHello, World!';
    for (let i = 0; i < 100; i++) if ((await get()) !== want) { problems.push('wrong response (sequential)'); break; }
    for (let batch = 0; batch < 4; batch++) {
      const got = await Promise.all(Array.from({ length: 50 }, get));
      if (got.some((g) => g !== want)) { problems.push('wrong response (50 concurrent)'); break; }
    }
  } catch (e) {
    problems.push(e.message);
  }
  if (server.exitCode !== null || server.signalCode !== null) problems.push(`server exited: ${await exited}`);
  server.kill('SIGKILL');
  await exited;
  if (SANITIZER_REPORT.test(stderr)) problems.push('sanitizer report');
  const ms = Date.now() - t0;
  if (problems.length) {
    failures++;
    console.log(`FAIL ${name} (${ms} ms): ${problems.join('; ')}`);
    if (stderr) console.log(stderr.trim().split('\n').map((l) => `  | ${l}`).join('\n'));
  } else console.log(`ok   ${name} (${ms} ms)`);
}

async function main() {
  const files = await compileModules();
  console.log(`asan-smoke: ${path.relative(ROOT, addon)} with LD_PRELOAD=${runtime}`);

  // The child really runs the sanitizer build: ASan mapped, the addon the one we asked for, its bench hook there.
  check('asan build is what gets loaded', ['-e', `
    const { native } = require('./dist/native.js');
    const a = native();
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
    if (!/libasan|clang_rt\\.asan/.test(maps)) throw new Error('ASan runtime not mapped');
    if (!maps.includes(${JSON.stringify(addon)})) throw new Error('the addon mapped is not ${addon}');
    if (a.bench.noopArgs(1, 2) !== 0) throw new Error('bench hook');
    // CMakeLists.txt globs the sources itself: it must build the same imports as binding.gyp.
    const gyp = './build/Release/wasmx.node';
    if (require('fs').existsSync(gyp)) {
      const names = (t) => t.map((d) => d.module + '.' + d.name).sort().join(' ');
      const mine = names(a.importTable()), theirs = names(require(gyp).importTable());
      if (mine !== theirs) throw new Error('the cmake build and the node-gyp build import different functions:\\n' + mine + '\\n' + theirs);
    }
    console.log('loaded');`], { stdout: 'loaded\n' });

  const cli = (...a) => [CLI, 'run', ...a];
  check('hello (fd_write)', cli(files.hello), { stdout: HELLO });
  check('args and environ', cli('--env', 'A=1', '--env', 'SMOKE=asan', files.args, 'x', 'two words'),
    { stdout: `${files.args}\0x\0two words\0A=1\0SMOKE=asan\0` });
  check('misc calls, preopen, proc_exit(7)', cli('--dir', `${tmp}::/sandbox`, files.misc), { status: 7, stdout: '/sandbox' });
  check('out-of-bounds pointers -> FAULT', cli(files.fault), { status: 0 });
  const text = 'line one\nline two, longer than the 7-byte buffer\n'.repeat(50);
  check('echo (fd_read)', cli(files.echo), { input: text, stdout: text });
  check('wasm trap under ASan signal handling', cli(files.trap), { status: 134, stderrMatch: /trap/ });

  // The library API: proc_exit unwinds into JS (no exitEndsHost), processes are created and released repeatedly.
  check('library run() x20, proc_exit code returned', ['-e', `
    const { run } = require('./dist/index.js');
    (async () => {
      for (let i = 0; i < 20; i++) {
        const code = await run(${JSON.stringify(files.misc)}, { dirs: [{ host: ${JSON.stringify(tmp)}, guest: '/sandbox' }] });
        if (code !== 7) throw new Error('exit code ' + code);
      }
      console.log('\\ndone');
    })().catch((e) => { console.error(e); process.exit(1); });`], { stdoutMatch: /done\n$/ });
  check('hostcall bench (short)', [path.join(ROOT, 'bench', 'hostcall.js'), '-n', '20000', '--rounds', '1', '--max-ns', '1e9'], { stdoutMatch: /native import/ });

  await checkServer();
  if (withTests) check('vitest suite', [require.resolve('vitest/vitest.mjs', { paths: [ROOT] }), 'run'], { stdoutMatch: /Tests\s+\d+ passed/, timeoutMs: 600_000 });

  console.log(`asan-smoke: ${failures ? `${failures} FAILED` : 'all passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => die(e.stack ?? String(e)));
