#!/usr/bin/env node
// A seeded syscall fuzzer: random calls straight into the addon's real import functions (the ones a module is
// linked to), bound to a memory this script owns, with real files in a temporary preopen.
//
// Arguments mix valid and hostile values: fds that are open, closed, huge; enums in and out of range; pointers
// inside memory, at its last bytes, past its end and at 0xffffffff; memory that grows during the run; paths that
// try to leave the preopen. After every call: the result is an errno (0..80), nothing threw; for calls with a
// known out-size, guard bytes around the out-buffer are intact; a canary region no call was given is intact.
// Every 500 calls and at the end: nothing outside the preopen changed and no secret from outside reached memory.
// The dynamic-call imports (TypeScript's, src/dynamic-calls.ts) are fuzzed with them, over the functions of
// test/fixtures/wat/fuzz_dyncall.wat in a table of its own: slots in and past the table, empty ones, wrong
// signatures, closures allocated, prepared, freed twice; a trap of the guest's own function they call (or of a
// closure's backing function) is the one throw accepted, and only from call_dynamic.
//
//   npm run fuzz -- --seed N --calls M [--verbose]     (also: await require('./scripts/fuzz.js').runFuzz({ seed, calls }))
//
// A failure throws an Error whose message starts with "fuzz seed=N call=K": rerun with that seed to replay it.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function rng(seed) {
  let s = seed >>> 0 || 1;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)], chance: (p) => next() < p };
}

const PAGE = 65536;
// Calls that can wait on their fd (argument 0): only made on files, directories and fds that are non-blocking.
const WAITS_ON_FD = new Set(['fd_read', 'fd_write', 'fd_pread', 'fd_pwrite', 'sock_recv', 'sock_recv_from', 'sock_send',
  'sock_send_to', 'sock_accept', 'sock_accept_v2', 'sock_connect']);
const CANARY = [4096, 8192]; // no argument generator points here (bar a random u32 hitting it): must stay as filled
const GUARD = 16;
const SECRET = 'TOPSECRET-fuzz-outside';
// Calls that end the guest, block without a bound we control, spawn threads or change the host terminal.
const EXCLUDED = new Set(['proc_exit', 'proc_exit2', 'thread_exit', 'proc_raise', 'proc_raise_interval', 'thread_signal', 'proc_exec', 'proc_exec2',
  'thread-spawn', 'thread_spawn', 'thread_spawn_v2', 'thread_join', 'tty_set']);
// Out-buffer sizes by (name, argument index); a function of the arguments for variable ones.
const OUT_SIZES = {
  fd_fdstat_get: { 1: 24 }, fd_filestat_get: { 1: 64 }, fd_prestat_get: { 1: 8 }, fd_seek: { 3: 8 }, fd_tell: { 1: 8 },
  clock_time_get: { 2: 8 }, clock_res_get: { 1: 8 }, path_filestat_get: { 4: 64 }, sock_addr_local: { 1: 110 },
  sock_addr_peer: { 1: 110 }, fd_read: { 3: 4 }, fd_write: { 3: 4 }, fd_pread: { 4: 4 }, fd_pwrite: { 4: 4 },
  fd_pipe: { 0: 4, 1: 4 }, fd_dup: { 1: 4 }, path_open: { 8: 4 }, path_open2: { 9: 4 }, thread_id: { 0: 4 },
  proc_id: { 0: 4 }, fd_fdflags_get: { 1: 2 }, args_sizes_get: { 0: 4, 1: 4 }, environ_sizes_get: { 0: 4, 1: 4 },
  random_get: { 0: (a) => a[1] }, fd_prestat_dir_name: { 1: (a) => a[2] }, sock_pair: { 3: 4, 4: 4 },
  epoll_create: { 0: 4 }, fd_event: { 2: 4 }, sock_open: { 3: 4 }, thread_parallelism: { 0: 4 },
  call_dynamic: { 3: (a) => a[4] }, reflect_signature: { 1: (a) => a[2] & 0xffff, 3: (a) => a[4] & 0xffff, 5: 6 },
  closure_allocate: { 0: 4 },
};
// The fuzz module's stack pointer (closure frames go below it), and where its argument buffers go.
const DYN_SP = 126976;
// Packed value and result sizes of the fuzz module's callable functions, by slot: call_dynamic mostly gets them right.
const DYN_SIZES = { 1: [4, 4], 2: [24, 8], 3: [0, 0], 4: [4, 12], 6: [4, 0], 9: [4, 4] };
const DYN_VALUES = 25000, DYN_RESULTS = 26500, DYN_ARG_TYPES = 28000, DYN_RES_TYPES = 29100, DYN_RET = 30500; // + SCRATCH

function makeSandbox(base) {
  const root = fs.mkdtempSync(path.join(base, 'wasmx-fuzz-'));
  const sb = path.join(root, 'sb');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(sb);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), SECRET);
  return { root, sb, outside };
}

function refill(sb) {
  const put = (p, f) => { try { f(path.join(sb, p)); } catch { /* already there, or the guest made it something else */ } };
  put('f.txt', (p) => fs.writeFileSync(p, 'hello fuzz'));
  put('sub', (p) => fs.mkdirSync(p));
  put('sub/g', (p) => fs.writeFileSync(p, 'g'));
  put('out', (p) => fs.symlinkSync('../outside', p));
  put('secret-link', (p) => fs.symlinkSync('../outside/secret', p));
  put('abs-link', (p) => fs.symlinkSync(path.join(path.dirname(sb), 'outside', 'secret'), p));
  put('self', (p) => fs.symlinkSync('self', p));
}

const PATHS = ['f.txt', 'sub', 'sub/g', 'sub/../f.txt', '.', '..', '../outside/secret', 'out/secret', 'out', 'secret-link',
  'abs-link', 'self', '/etc/passwd', 'sub/../../outside/secret', 'new', 'sub/new/', 'x.sock', 'f.txt/', '', 'a\0b',
  'sub/./g', '//f.txt', 'sub/../sub/../..', 'nope/nope'];

async function runFuzz({ seed = 1, calls = 50000, verbose = false, log = console.log } = {}) {
  const dist = (m) => require(path.join(__dirname, '..', 'dist', m));
  const { native } = dist('native.js');
  const { DynamicCalls, DYNAMIC_CALL_SIGNATURES } = dist('dynamic-calls.js');
  const { readTableLayout } = dist('wasm-binary.js');
  const { watToWasm } = dist('loader.js');
  const { asTrap } = dist('trap.js');
  const dynFile = path.join(__dirname, '..', 'test', 'fixtures', 'wat', 'fuzz_dyncall.wat');
  const dynBytes = await watToWasm(dynFile, new Uint8Array(fs.readFileSync(dynFile)));
  const addon = native();
  const r = rng(seed);
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const box = makeSandbox(base);
  try {
    refill(box.sb);
    const outsideBefore = JSON.stringify(fs.readdirSync(box.outside));
    const maxPages = 8;
    const memory = new WebAssembly.Memory({ initial: 2, maximum: maxPages });
    const pid = addon.createProcess({ args: ['fuzz', 'a', 'bb'], env: ['K=V'], preopenHost: [box.sb], preopenGuest: ['/sb'],
      net: false, exitEndsHost: false, offload: 'off' });
    const [imports, , , hooks] = addon.createInstance(pid, memory, 1, r.chance(0.5), true);
    const funcs = [];
    for (const d of addon.importTable()) {
      if (EXCLUDED.has(d.name) || d.module === 'wasi') continue;
      funcs.push({ name: d.name, module: d.module, fn: imports[d.module][d.name], sig: d.signature });
    }
    // The dynamic calls, with the instance's hooks (signals at return), over the fuzz module's table.
    const dyn = new DynamicCalls(readTableLayout(dynBytes), hooks);
    const dynExports = new WebAssembly.Instance(new WebAssembly.Module(dynBytes), { env: { memory } }).exports;
    dyn.bind(dynExports, memory);
    const dynTable = dynExports.__indirect_function_table;
    const dynImports = dyn.imports();
    for (const [name, sig] of Object.entries(DYNAMIC_CALL_SIGNATURES)) funcs.push({ name, module: 'wasix_32v1', fn: dynImports[name], sig });
    const closures = new Set(); // allocated and not freed
    const freed = []; // freed lately (double frees, prepares of freed slots)
    const closureSizes = new Map(); // prepared closure slot -> [values, results] packed sizes
    const bytes = () => new Uint8Array(memory.buffer);
    const size = () => memory.buffer.byteLength;
    const openFds = new Set([3]);
    let current = '';
    const fail = (k, msg) => {
      throw new Error(`fuzz seed=${seed} call=${k}: ${msg}\n  last call: ${current}\n  replay: npm run fuzz -- --seed ${seed} --calls ${k + 1}`);
    };
    bytes().fill(0xa5, CANARY[0], CANARY[1]);
    const canary = Buffer.alloc(CANARY[1] - CANARY[0], 0xa5);
    // The guest's stdio is closed in its own table (the host's stays open): nothing to print, nothing to block on.
    for (const fd of [0, 1, 2]) imports.wasi_snapshot_preview1.fd_close(fd);

    // Whether a call on `fd` cannot wait: not open, a file or directory, or non-blocking (made so if it can be).
    const wontWait = (fd) => {
      const p1 = imports.wasi_snapshot_preview1;
      const q = SCRATCH + 15000; // inside the scratch area (never the canary)
      if (p1.fd_fdstat_get(fd, q) !== 0) return true;
      const type = bytes()[q];
      if (type === 3 || type === 4) return true;
      if (new DataView(memory.buffer).getUint16(q + 2, true) & 4) return true;
      return p1.fd_fdstat_set_flags(fd, 4) === 0;
    };
    const SCRATCH = 8192; // valid area for crafted structures (iovecs, subscriptions, paths)
    const ptr = () => {
      const len = size();
      switch (r.int(8)) {
        case 0: return 0xffffffff - r.int(16);
        case 1: return len - r.int(16); // the last bytes: a multi-byte out-value straddles the end
        case 2: return len + r.int(PAGE); // past the end (maybe inside a page the memory grows into later)
        case 3: return r.chance(0.5) ? r.int(CANARY[0]) : CANARY[1] + r.int(len - CANARY[1]);
        default: return SCRATCH + r.int(len - SCRATCH - 256);
      }
    };
    const fd = () => {
      switch (r.int(6)) {
        case 0: return r.int(40);
        case 1: return r.pick([0xffffffff, 0x7fffffff, 1 << 20, 1 << 31 >>> 0]);
        default: return openFds.size ? r.pick([...openFds]) : 3;
      }
    };
    const small = () => (r.chance(0.8) ? r.int(16) : r.pick([0xff, 0xffff, 0xffffffff, 0x80000000, r.int(2 ** 32)]));
    const i64 = () => (r.chance(0.7) ? BigInt(r.int(1 << 20)) : r.pick([-1n, 1n << 62n, (1n << 63n) - 1n, -(1n << 63n), BigInt(r.int(2 ** 32)) << 20n]));
    const pathArg = () => {
      const p = r.chance(0.9) ? r.pick(PATHS) : Buffer.from(Array.from({ length: r.int(12) }, () => r.int(256))).toString('latin1');
      const at = SCRATCH + 100 + r.int(2000);
      const b = Buffer.from(p, 'latin1');
      bytes().set(b, at);
      return r.chance(0.9) ? [at, b.length] : [ptr(), r.int(64)];
    };
    const iovecs = () => {
      const n = r.chance(0.9) ? 1 + r.int(4) : r.pick([0, 1024, 1025, r.int(2 ** 32)]);
      const at = SCRATCH + 4096 + r.int(1024) * 8;
      const m = Math.min(n, 64);
      const v = new DataView(memory.buffer);
      for (let i = 0; i < m && at + i * 8 + 8 <= size(); i++) {
        v.setUint32(at + i * 8, r.chance(0.9) ? SCRATCH + 16384 + r.int(8192) : Math.max(ptr(), CANARY[1]), true);
        v.setUint32(at + i * 8 + 4, r.chance(0.9) ? r.int(512) : r.pick([0, 0xffffffff, size()]), true);
      }
      return [r.chance(0.9) ? at : ptr(), n];
    };
    // A table slot for the dynamic calls: the module's functions and empty slots, closures live and freed, slots at
    // and past the table's end, huge indexes.
    const slot = () => {
      switch (r.int(7)) {
        case 0: case 1: return r.int(16);
        case 2: case 3: return closures.size ? r.pick([...closures]) : r.int(16);
        case 4: return freed.length ? r.pick(freed) : 16 + r.int(64);
        case 5: return dynTable.length + r.int(4) - 1;
        default: return r.pick([0xffffffff, 0x80000000, 0xffff, r.int(2 ** 32)]);
      }
    };
    const dynLen = () => (r.chance(0.85) ? r.int(40) : r.pick([0xffffffff, 0x80000000, size(), 0x10000 + r.int(8)]));
    // `n` value-type bytes at `at`: mostly valid (i32, i64, f32, f64, v128), now and then not.
    const typeBytes = (at, n) => {
      for (let i = 0; i < n && at + i < size(); i++) bytes()[at + i] = r.chance(0.97) ? r.int(5) : 5 + r.int(251);
      return at;
    };
    // Arguments for a call: crafted where a random value would block for good, else random by position.
    const argsFor = (f) => {
      const [params] = f.sig.split(':');
      const a = Array.from(params, (c) => (c === 'I' ? i64() : r.chance(0.5) ? fd() : r.chance(0.5) ? ptr() : small()));
      const v = new DataView(memory.buffer);
      switch (f.name) {
        case 'path_open': case 'path_open2': case 'path_create_directory': case 'path_filestat_get': case 'path_unlink_file':
        case 'path_remove_directory': case 'path_readlink': case 'path_filestat_set_times': case 'chdir': {
          const i = f.name === 'chdir' ? 0 : f.name === 'path_open' || f.name === 'path_open2' || f.name === 'path_filestat_get' || f.name === 'path_filestat_set_times' ? 2 : 1;
          [a[i], a[i + 1]] = pathArg();
          if (f.name !== 'chdir') a[0] = fd();
          if (f.name.startsWith('path_open')) { a[1] = r.int(3); a[4] = r.int(32); a[7] = r.int(64); }
          break;
        }
        case 'path_rename': case 'path_link': case 'path_symlink': {
          const [p1, l1] = pathArg();
          const [p2, l2] = pathArg();
          if (f.name === 'path_rename') Object.assign(a, [fd(), p1, l1, fd(), p2, l2]);
          else if (f.name === 'path_link') Object.assign(a, [fd(), r.int(2), p1, l1, fd(), p2, l2]);
          else Object.assign(a, [p1, l1, fd(), p2, l2]);
          break;
        }
        case 'fd_read': case 'fd_write': case 'fd_pread': case 'fd_pwrite': case 'sock_recv': case 'sock_send':
        case 'sock_recv_from': case 'sock_send_to': {
          a[0] = fd();
          [a[1], a[2]] = iovecs();
          if (f.name.startsWith('sock_')) a[3] = r.int(16);
          break;
        }
        case 'fd_allocate': a[0] = fd(); a[1] = BigInt(r.int(1 << 16)); a[2] = BigInt(r.int(1 << 16)); break; // never fill the disk
        case 'fd_filestat_set_size': a[0] = fd(); a[1] = BigInt(r.int(1 << 20)); break;
        case 'fd_fdstat_set_flags': a[0] = fd(); a[1] = small() | 4; break; // NONBLOCK always: pipes/sockets never block
        case 'poll_oneoff': { // first subscription: a relative clock of at most 100 µs, so the call always returns
          const at = SCRATCH + 12288;
          bytes().fill(0, at, at + 48);
          v.setBigUint64(at, 7n, true);
          v.setUint8(at + 8, 0);
          v.setUint32(at + 16, 1, true);
          v.setBigUint64(at + 24, BigInt(r.int(100000)), true);
          const n = 1 + r.int(3);
          for (let i = 1; i < n; i++) for (let j = 0; j < 48; j++) bytes()[at + i * 48 + j] = r.int(4) ? 0 : r.int(256);
          a[0] = at; a[1] = r.chance(0.9) ? at + 512 : ptr(); a[2] = n; a[3] = r.chance(0.9) ? at + 1024 : ptr();
          break;
        }
        case 'epoll_wait': a[3] = r.pick([0n, 10000n]); break;
        case 'futex_wait': { // a timeout of at most 100 µs, always
          const at = SCRATCH + 14000;
          v.setUint8(at, 1);
          v.setBigUint64(at + 8, BigInt(r.int(100000)), true);
          a[2] = at;
          break;
        }
        case 'sock_pair': if (r.chance(0.8)) { a[0] = 3; a[1] = 1 + r.int(2); a[2] = 0; } break; // mostly valid: a source of fds
        case 'sock_open': if (r.chance(0.5)) { a[0] = 3; a[1] = 1 + r.int(2); a[2] = 0; } break;
        case 'thread_sleep': a[0] = BigInt(r.int(100000)); break;
        case 'random_get': a[1] = r.chance(0.9) ? r.int(512) : r.int(2 ** 32); break;
        case 'fd_prestat_dir_name': a[2] = r.chance(0.9) ? r.int(16) : r.int(2 ** 32); break;
        case 'sock_bind': case 'sock_connect': { // Unix addresses: paths, escapes, abstract names
          const at = SCRATCH + 13000;
          bytes().fill(0, at, at + 110);
          v.setUint8(at, r.pick([1, 2, 3, 3, 3, 9]));
          const p = r.pick(['x.sock', '/sb/x.sock', '/sb/../outside/x.sock', `${box.outside}/x.sock`, '/sb/out/x.sock', '\0abs', '/sb/sub/y.sock']);
          bytes().set(Buffer.from(p), at + 2);
          a[0] = fd(); a[1] = r.chance(0.9) ? at : ptr();
          break;
        }
        case 'call_dynamic': {
          const at = SCRATCH + DYN_VALUES;
          for (let i = 0; i < 64; i++) bytes()[at + i] = r.int(256);
          const callable = [...Object.keys(DYN_SIZES).map(Number), ...closureSizes.keys()];
          a[0] = r.chance(0.5) ? r.pick(callable) : slot(); a[1] = r.chance(0.85) ? at : ptr(); a[2] = dynLen();
          a[3] = r.chance(0.85) ? SCRATCH + DYN_RESULTS + r.int(64) : ptr(); a[4] = dynLen();
          const known = DYN_SIZES[a[0]] ?? closureSizes.get(a[0]);
          if (known && r.chance(0.7)) [a[2], a[4]] = r.chance(0.8) ? known : [known[0] + r.int(3) - 1, known[1] + r.int(3) - 1].map((x) => x >>> 0);
          a[5] = r.chance(0.9) ? r.int(2) : r.int(2 ** 32);
          break;
        }
        case 'reflect_signature':
          a[0] = slot(); a[1] = r.chance(0.85) ? SCRATCH + DYN_ARG_TYPES : ptr(); a[2] = dynLen();
          a[3] = r.chance(0.85) ? SCRATCH + DYN_RES_TYPES : ptr(); a[4] = dynLen(); a[5] = r.chance(0.85) ? SCRATCH + DYN_RET : ptr();
          break;
        case 'closure_allocate': a[0] = r.chance(0.85) ? SCRATCH + DYN_RET + 4 * r.int(64) : ptr(); break;
        case 'closure_prepare': {
          // Mostly a few values; now and then V8's most (1000), one past it, or a huge count.
          const count = () => (r.chance(0.9) ? r.int(9) : r.chance(0.5) ? r.int(1001) : r.pick([1000, 1001, 0xffffffff, size()]));
          a[0] = r.chance(0.7) ? r.pick([7, 7, 8, 1, 0]) : slot(); a[1] = closures.size && r.chance(0.6) ? r.pick([...closures]) : slot();
          a[3] = count(); a[5] = count();
          a[2] = r.chance(0.9) ? typeBytes(SCRATCH + DYN_ARG_TYPES, Math.min(a[3], 1001)) : ptr();
          a[4] = r.chance(0.9) ? typeBytes(SCRATCH + DYN_RES_TYPES, Math.min(a[5], 1001)) : ptr();
          a[6] = r.int(2 ** 32);
          break;
        }
        case 'closure_free': a[0] = slot(); break;
        default: break;
      }
      return a;
    };

    let calls_done = 0;
    for (let k = 0; k < calls; k++) {
      if (k % 997 === 996 && memory.buffer.byteLength < maxPages * PAGE) memory.grow(1);
      if (k % 2000 === 1999) refill(box.sb);
      const f = r.pick(funcs);
      const a = argsFor(f);
      // Guard bytes around known out-buffers (placed in the scratch area on purpose for a share of the calls).
      const guards = [];
      const sizes = OUT_SIZES[f.name];
      if (sizes && r.chance(0.5)) {
        for (const [idx, s] of Object.entries(sizes)) {
          const n = typeof s === 'function' ? s(a) : s;
          if (n > 4096) continue;
          const at = SCRATCH + 40000 + guards.length * 8192 + r.int(64); // clear of every crafted input and iovec buffer
          if (at + n + GUARD > size()) continue;
          a[idx] = at;
          bytes().fill(0x5a, at - GUARD, at + n + GUARD);
          guards.push([at, n]);
        }
      }
      if (WAITS_ON_FD.has(f.name) && !wontWait(a[0])) continue;
      current = `${f.module}.${f.name}(${a.map(String).join(', ')})`;
      if (verbose) log(`${k}: ${current}`);  // before the call: a hang shows the call that hangs
      let res;
      let trapped = false;
      try {
        res = f.fn(...a);
      } catch (e) {
        // call_dynamic runs guest code (the fuzz module's, or a closure and its backing function): its trap is the
        // guest's, as through a direct call. Nothing else may throw.
        if (f.name !== 'call_dynamic' || !asTrap(e)) fail(k, `threw ${e && e.message}`);
        trapped = true;
      }
      calls_done++;
      if (verbose) log(`  -> ${trapped ? 'trap' : res}`);
      if (trapped) {
        // A trap leaves the guest's stack where it was (a closure's frame is not popped) and may have run a stack of
        // closures through memory: a real guest is over. Here: a fresh stack, the canary refilled, no checks.
        dynExports.__stack_pointer.value = DYN_SP;
        bytes().fill(0xa5, CANARY[0], CANARY[1]);
        continue;
      }
      if (f.sig.endsWith(':i') && !(Number.isInteger(res) && res >= 0 && res <= 80)) fail(k, `result ${res} is not an errno`);
      if (f.name === 'closure_allocate' && res === 0) closures.add(new DataView(memory.buffer).getUint32(a[0], true));
      if (f.name === 'closure_free' && res === 0 && closures.delete(a[0])) {
        freed.splice(0, freed.length >= 64 ? 1 : 0, a[0]);
        closureSizes.delete(a[0]);
      }
      if (f.name === 'closure_prepare' && res === 0) {
        const SIZE = [4, 8, 4, 8, 16];
        const packed = (at, n) => Array.from(bytes().subarray(at, at + n), (t) => SIZE[t]).reduce((x, y) => x + y, 0);
        closureSizes.set(a[1], [packed(a[2], a[3]), packed(a[4], a[5])]);
      }
      if (f.name === 'call_dynamic' && dynExports.__stack_pointer.value !== DYN_SP) fail(k, 'the stack pointer moved');
      const b = bytes();
      for (const [at, n] of guards) {
        for (let i = at - GUARD; i < at; i++) if (b[i] !== 0x5a) fail(k, `wrote ${at - i} byte(s) before its out-buffer`);
        for (let i = at + n; i < at + n + GUARD; i++) if (b[i] !== 0x5a) fail(k, `wrote past its ${n}-byte out-buffer (+${i - at - n})`);
      }
      // The canary is checked unless an argument could, with another argument as its length, legitimately reach it.
      const ints = a.filter((x) => typeof x === 'number');
      const reach = Math.max(128, ...ints);
      const mayReach = ints.some((x) => x < CANARY[1] && x + reach > CANARY[0]);
      if (mayReach) b.fill(0xa5, CANARY[0], CANARY[1]);
      else if (Buffer.compare(b.subarray(CANARY[0], CANARY[1]), canary) !== 0) {
        const i = b.subarray(CANARY[0], CANARY[1]).findIndex((x) => x !== 0xa5);
        fail(k, `wrote into the canary region (at ${CANARY[0] + i}), which no argument pointed to`);
      }
      // Track fds the guest may now hold (for picking plausible fds), and keep new ones non-blocking.
      if (res === 0 && sizes) {
        for (const [idx, s] of Object.entries(sizes)) {
          if (s !== 4 || !/open|pipe|dup|pair|create|event/.test(f.name)) continue;
          const at = a[idx];
          if (at + 4 > size()) continue;
          const nfd = new DataView(memory.buffer).getUint32(at, true);
          if (nfd < 4096) {
            openFds.add(nfd);
            imports.wasi_snapshot_preview1.fd_fdstat_set_flags(nfd, 4);
          }
        }
      }
      if (f.name === 'fd_close' && res === 0) openFds.delete(a[0]);
      if (k % 500 === 499 || k === calls - 1) {
        if (JSON.stringify(fs.readdirSync(box.outside)) !== outsideBefore) fail(k, `something appeared outside the preopen (in calls ${k - k % 500}..${k}): ${fs.readdirSync(box.outside)}`);
        if (fs.readFileSync(path.join(box.outside, 'secret'), 'utf8') !== SECRET) fail(k, 'the file outside the preopen changed');
        if (Buffer.from(memory.buffer).indexOf(SECRET) >= 0) fail(k, 'the secret from outside the preopen reached guest memory');
      }
    }
    addon.releaseProcess(pid);
    return { seed, calls: calls_done };
  } finally {
    fs.rmSync(box.root, { recursive: true, force: true }); // also when a check failed
  }
}

module.exports = { runFuzz };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const seed = opt('seed', Date.now() % 1e9);
  const calls = opt('calls', 200000);
  const t0 = Date.now();
  runFuzz({ seed, calls, verbose: argv.includes('--verbose') }).then((res) => {
    console.log(`fuzz seed=${res.seed}: ${res.calls} calls, no failure (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }, (e) => {
    console.error(e.message);
    process.exit(1);
  });
}
