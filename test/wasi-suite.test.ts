/**
 * What the official WASI test suite (WebAssembly/wasi-testsuite, preview1) checks and wasmx once got wrong, as
 * our own cases: the suite's binaries cannot be part of CI, so each behaviour is asserted here through the real
 * imports (test/syscalls.ts), against a real temporary preopen. docs/decisions.md "preview1 and WASIX".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tmpdir } from './helpers';
import { E, R, SyscallHarness, openHarness } from './syscalls';

let dir: string;
let h = undefined as unknown as SyscallHarness;
const PRE = 3; // the preopen
const OUT = 0; // result pointer
const BUF = 256; // scratch (iovecs, stat buffers)
const PATH = 1024;

function open(path: string, oflags = 0, base = R.FD_READ | R.FD_WRITE, inheriting = 0n, at = PRE): [number, number] {
  const [p, n] = h.str(PATH, path);
  const r = h.p1.path_open(at, 0, p, n, oflags, base, inheriting, 0, OUT);
  return [r, h.u32(OUT)];
}
const fdstat = (fd: number): { r: number; type: number; base: bigint; inheriting: bigint } => {
  const r = h.p1.fd_fdstat_get(fd, BUF);
  return { r, type: h.bytes()[BUF], base: h.u64(BUF + 8), inheriting: h.u64(BUF + 16) };
};
const OFLAGS_CREAT = 1, OFLAGS_DIRECTORY = 2;

function setup(wasix: boolean) {
  dir = tmpdir('wasmx-suite-');
  fs.writeFileSync(path.join(dir, 'f.txt'), 'hello');
  fs.mkdirSync(path.join(dir, 'sub'));
  h = openHarness({ dirs: [[dir, '/']], wasix });
  return h;
}
afterEach(() => {
  h?.release();
  h = undefined as unknown as SyscallHarness;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('rights per file type (suite: dir_fd_op_failures, directory_seek, path_open_preopen)', () => {
  beforeEach(() => setup(false));

  it('a preopen advertises the directory rights wasmtime does, and none of FD_READ / FD_WRITE / FD_SEEK / FD_TELL', () => {
    const s = fdstat(PRE);
    expect(s.r).toBe(0);
    expect(s.type).toBe(3); // DIRECTORY
    // The suite's list: every path_* right plus READDIR, FILESTAT_GET, FILESTAT_SET_TIMES.
    const wanted = [9, 10, 11, 12, 13, 14, 15, 16, 17, 24, 25, 26, 18, 20, 21, 23].map((b) => 1n << BigInt(b));
    for (const w of wanted) expect(s.base & w).toBe(w);
    for (const no of [R.FD_READ, R.FD_WRITE, R.FD_SEEK, R.FD_TELL, R.FD_ALLOCATE, R.FD_FILESTAT_SET_SIZE]) expect(s.base & no).toBe(0n);
    // What is opened beneath it may be read, written, seeked.
    for (const w of [R.FD_READ, R.FD_WRITE, R.FD_SEEK, R.FD_TELL, R.FD_DATASYNC, R.FD_ALLOCATE]) expect(s.inheriting & w).toBe(w);
  });

  it('file operations on a directory fd fail (NOTCAPABLE) instead of reaching the kernel', () => {
    h.view().setUint32(BUF, BUF + 64, true); // iovec -> 16 bytes at BUF+64
    h.view().setUint32(BUF + 4, 16, true);
    expect(h.p1.fd_read(PRE, BUF, 1, OUT)).toBe(E.NOTCAPABLE);
    expect(h.p1.fd_pread(PRE, BUF, 1, 0n, OUT)).toBe(E.NOTCAPABLE);
    expect(h.p1.fd_write(PRE, BUF, 1, OUT)).toBe(E.NOTCAPABLE);
    expect(h.p1.fd_pwrite(PRE, BUF, 1, 0n, OUT)).toBe(E.NOTCAPABLE);
    for (const whence of [0, 1, 2]) expect(h.p1.fd_seek(PRE, 0n, whence, OUT)).toBe(E.NOTCAPABLE);
    expect(h.p1.fd_tell(PRE, OUT)).toBe(E.NOTCAPABLE);
    expect(h.p1.fd_allocate(PRE, 0n, 1n)).toBe(E.NOTCAPABLE);
    expect(h.p1.fd_filestat_set_size(PRE, 0n)).toBe(E.NOTCAPABLE);
    // fd_readdir on a file is NOTDIR (the type is checked before the rights).
    const [r, f] = open('f.txt', 0, R.FD_READ);
    expect(r).toBe(0);
    expect(h.p1.fd_readdir(f, BUF, 64, 0n, OUT)).toBe(E.NOTDIR);
  });

  it('a directory opened with FD_SEEK does not get it, and cannot seek', () => {
    const [r, fd] = open('sub', OFLAGS_DIRECTORY, R.FD_SEEK);
    expect(r).toBe(0);
    expect(fdstat(fd).base & R.FD_SEEK).toBe(0n);
    expect(h.p1.fd_seek(fd, 0n, 1, OUT)).toBe(E.NOTCAPABLE);
  });

  it('"." reopens with the preopen\'s own rights, with no rights, with O_DIRECTORY and FD_READ; FD_WRITE gives ISDIR', () => {
    const s = fdstat(PRE);
    expect(open('.', 0, s.base, s.inheriting)[0]).toBe(0);
    expect(open('.', 0, 0n)[0]).toBe(0);
    expect(open('.', OFLAGS_DIRECTORY, 0n)[0]).toBe(0);
    expect(open('.', OFLAGS_DIRECTORY, R.FD_READ)[0]).toBe(0);
    expect(open('.', OFLAGS_DIRECTORY, R.FD_READ | R.FD_WRITE)[0]).toBe(E.ISDIR);
  });

  it('a file gets the fd rights it asked for and no path rights; ".." that stays inside resolves', () => {
    const [r, fd] = open('sub/../f.txt', 0, R.FD_READ | R.FD_SEEK | R.PATH_OPEN);
    expect(r).toBe(0);
    const s = fdstat(fd);
    expect(s.type).toBe(4); // REGULAR_FILE
    expect(s.base).toBe(R.FD_READ | R.FD_SEEK);
    expect(open('sub/../../x')[0]).toBe(E.NOTCAPABLE);
  });
});

describe('fd_renumber in a preview1 module moves the fd (suite: renumber, overwrite_preopen, stdio)', () => {
  beforeEach(() => setup(false));

  it('the source is closed, and the target must be open', () => {
    const [, a] = open('a', OFLAGS_CREAT);
    const [, b] = open('b', OFLAGS_CREAT);
    const before = fdstat(a);
    expect(h.p1.fd_renumber(a, b)).toBe(0);
    expect(h.p1.fd_close(a)).toBe(E.BADF);
    const after = fdstat(b);
    expect([after.type, after.base, after.inheriting]).toEqual([before.type, before.base, before.inheriting]);
    expect(h.p1.fd_renumber(b, a)).toBe(E.BADF); // `a` is not open any more
    expect(h.p1.fd_renumber(b, 77)).toBe(E.BADF);
    expect(h.p1.fd_fdstat_get(b, BUF)).toBe(0);
  });

  it('a directory renumbered over the preopen replaces it', () => {
    const [, d] = open('sub', OFLAGS_DIRECTORY, 1n << 21n); // FD_FILESTAT_GET
    expect(h.p1.fd_filestat_get(d, BUF)).toBe(0);
    const ino = h.u64(BUF + 8);
    expect(h.p1.fd_renumber(d, PRE)).toBe(0);
    expect(h.p1.fd_filestat_get(PRE, BUF)).toBe(0);
    expect(h.u64(BUF + 8)).toBe(ino);
    expect(h.p1.fd_fdstat_get(d, BUF)).toBe(E.BADF);
  });

  it('stdio renumbered onto a file is closed', () => {
    const [, f] = open('s', OFLAGS_CREAT, 0n);
    expect(h.p1.fd_renumber(0, f)).toBe(0);
    expect(h.p1.fd_fdstat_get(f, BUF)).toBe(0);
    expect(h.p1.fd_fdstat_get(0, BUF)).toBe(E.BADF);
  });
});

describe('fd_renumber in a WASIX module is dup2 (wasix-libc dup2/dup3)', () => {
  beforeEach(() => setup(true));

  it('the source stays open, the target need not be open, and CLOEXEC is per fd number', () => {
    const [, a] = open('a', OFLAGS_CREAT);
    const [, b] = open('b', OFLAGS_CREAT);
    expect(h.p1.fd_renumber(a, b)).toBe(0);
    expect(h.p1.fd_fdstat_get(a, BUF)).toBe(0);
    expect(h.x.fd_fdflags_set(a, 1)).toBe(0); // FD_CLOEXEC on `a`
    expect(h.p1.fd_renumber(a, 90)).toBe(0); // dup2 to an unopened number
    expect(h.x.fd_fdflags_get(90, OUT)).toBe(0);
    expect(h.view().getUint16(OUT, true)).toBe(0); // the new number starts without CLOEXEC
    expect(h.x.fd_fdflags_get(a, OUT)).toBe(0);
    expect(h.view().getUint16(OUT, true)).toBe(1); // ... and `a` keeps its own
    expect(h.x.fd_dup(a, OUT)).toBe(0);
    const d = h.u32(OUT);
    expect(h.x.fd_fdflags_get(a, OUT)).toBe(0);
    expect(h.view().getUint16(OUT, true)).toBe(1); // fd_dup does not clear it on `a` either
    expect(h.x.fd_fdflags_get(d, OUT)).toBe(0);
    expect(h.view().getUint16(OUT, true)).toBe(0);
  });
});

describe('paths (suite: symlink_create) and the review list', () => {
  beforeEach(() => setup(false));

  it('an absolute symlink target is refused; a relative one is created and followed', () => {
    const [t, tn] = h.str(PATH, '/');
    const [l, ln] = h.str(PATH + 100, 'link');
    expect(h.p1.path_symlink(t, tn, PRE, l, ln)).toBe(E.NOTCAPABLE);
    expect(fs.existsSync(path.join(dir, 'link'))).toBe(false);
    const [t2, tn2] = h.str(PATH, 'f.txt');
    expect(h.p1.path_symlink(t2, tn2, PRE, l, ln)).toBe(0);
    expect(fs.readlinkSync(path.join(dir, 'link'))).toBe('f.txt');
  });

  it('path_filestat_set_times with no flags still looks the path up (NOENT for a missing one)', () => {
    const [p, n] = h.str(PATH, 'missing');
    expect(h.p1.path_filestat_set_times(PRE, 0, p, n, 0n, 0n, 0)).toBe(E.NOENT);
    const [q, m] = h.str(PATH, 'f.txt');
    expect(h.p1.path_filestat_set_times(PRE, 0, q, m, 0n, 0n, 0)).toBe(0);
  });
});

describe('iovec totals', () => {
  it('1024 iovecs summing past 4 GiB move at most 0x7ffff000 bytes, so the u32 count is right', () => {
    const d = openHarness({ dirs: [['/dev', '/dev']], pages: 80, maxPages: 80 });
    try {
      const [p, n] = d.str(PATH, 'null');
      expect(d.p1.path_open(3, 0, p, n, 0, R.FD_WRITE, 0n, 0, OUT)).toBe(0);
      const fd = d.u32(OUT);
      const iovs = 8192, chunk = 4 << 20; // 1024 x 4 MiB (+1 byte each) = just over 4 GiB
      for (let i = 0; i < 1024; i++) {
        d.view().setUint32(iovs + i * 8, 65536, true);
        d.view().setUint32(iovs + i * 8 + 4, chunk + 1, true);
      }
      expect(d.p1.fd_write(fd, iovs, 1024, OUT)).toBe(0);
      expect(d.u32(OUT)).toBe(0x7ffff000);
    } finally {
      d.release();
    }
  });
});

describe('stdio NONBLOCK', () => {
  it('fd_read on stdin with NONBLOCK set gives AGAIN while the (blocking, parent-owned) pipe is empty', async () => {
    const script = `
      const { native } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'native.js'))});
      const a = native();
      const pid = a.createProcess({ args: ['x'], env: [], preopenHost: [], preopenGuest: [], net: false, exitEndsHost: false });
      const mem = new WebAssembly.Memory({ initial: 1 });
      const p1 = a.createInstance(pid, mem, 1, false)[0].wasi_snapshot_preview1;
      const v = new DataView(mem.buffer);
      v.setUint32(200, 300, true); v.setUint32(204, 10, true);
      p1.fd_fdstat_set_flags(0, 4);
      process.stdout.write('read ' + p1.fd_read(0, 200, 1, 220) + '\\n');`;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.on('close', r)); // stdin stays open (and empty) until then
    child.stdin.end();
    expect(out).toBe('read 6\n'); // AGAIN, and the child ended on its own: nothing blocked
    expect(code).toBe(0);
  }, 20_000);
});
