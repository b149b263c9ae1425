/**
 * The WASI filesystem syscalls, sandboxed beneath preopens: real files in temporary directories, driven by a
 * libc program (fs_tool.c: ordinary open/read/opendir/stat/rename/symlink... calls) and by WAT fixtures that call
 * the imports directly to pin exact errno values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cfix, tmpdir, wasmx, wat } from './helpers';

// WASI errno numbers (ABI §1.2): what libc leaves in errno, and what the imports return.
const E = { BADF: 8, EXIST: 20, FAULT: 21, INVAL: 28, ISDIR: 31, LOOP: 32, NOENT: 44, NOTDIR: 54, NOTEMPTY: 55, RANGE: 68, NOTCAPABLE: 76 };

let root: string; // holds sb/ (the preopen) and outside/ (what must stay out of reach)
let sb: string;
let outside: string;

beforeEach(() => {
  root = tmpdir('wasmx-fs-');
  sb = path.join(root, 'sb');
  outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(sb, 'sub'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'x'), 'secret');
  fs.writeFileSync(path.join(sb, 'f.txt'), 'hello');
  fs.symlinkSync('../outside/x', path.join(sb, 'out')); // a file outside
  fs.symlinkSync('../outside', path.join(sb, 'outdir')); // a directory outside
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs fs_tool with `sb` preopened as /sb; returns its output lines. */
async function tool(args: string[], opts: { dirs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  const dirs = opts.dirs ?? ['--dir', `${sb}::/sb`];
  const r = await wasmx(['run', ...dirs, cfix('fs_tool'), ...args], { env: { ...process.env, ...opts.env } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.toString().trimEnd().split('\n');
}

// Both resolvers: the kernel's (openat2 RESOLVE_BENEATH) and the portable walk used where openat2 is missing.
const RESOLVERS: [string, NodeJS.ProcessEnv][] = [
  ['openat2', {}],
  ['portable walk', { WASMX_NO_OPENAT2: '1' }],
];

describe('files inside a preopen', () => {
  it('writes, seeks, tells, reads, preads, pwrites, truncates, stats, syncs and allocates', async () => {
    const out = await tool(['io', '/sb/io.bin']);
    expect(out).toEqual([
      'io end=11 set=6 read=world cur=8 fromend=6 pread=hello after_pread=6 size=8 type=file all=HELLO wo alloc=100',
    ]);
    const host = fs.readFileSync(path.join(sb, 'io.bin'));
    expect(host.length).toBe(100);
    expect(host.subarray(0, 8).toString()).toBe('HELLO wo');
  });

  it('creates, appends, renames, links, unlinks, makes and removes directories; the host sees each step', async () => {
    const out = await tool([
      'write', '/sb/a.txt', 'one',
      'append', '/sb/a.txt', '+two',
      'cat', '/sb/a.txt',
      'mkdir', '/sb/d',
      'rename', '/sb/a.txt', '/sb/d/b.txt',
      'link', '/sb/d/b.txt', '/sb/hard',
      'stat', '/sb/hard',
      'rmdir', '/sb/d',
      'unlink', '/sb/d/b.txt',
      'rmdir', '/sb/d',
      'cat', '/sb/hard',
    ]);
    expect(out).toEqual([
      'write ok',
      'append ok',
      'cat one+two',
      'mkdir ok',
      'rename ok',
      'link ok',
      'stat file size=7 nlink=2',
      `rmdir: errno ${E.NOTEMPTY}`,
      'unlink ok',
      'rmdir ok',
      'cat one+two',
    ]);
    expect(fs.existsSync(path.join(sb, 'a.txt'))).toBe(false);
    expect(fs.existsSync(path.join(sb, 'd'))).toBe(false);
    expect(fs.readFileSync(path.join(sb, 'hard'), 'utf8')).toBe('one+two');
  });

  it('reports NOENT, EXIST, ISDIR and NOTEMPTY from the host', async () => {
    fs.writeFileSync(path.join(sb, 'sub', 'keep'), '');
    const out = await tool([
      'open', '/sb/missing',
      'excl', '/sb/f.txt',
      'mkdir', '/sb/sub',
      'unlink', '/sb/sub',
      'rmdir', '/sb/sub',
      'stat', '/sb/missing/deeper',
    ]);
    expect(out).toEqual([
      `open: errno ${E.NOENT}`,
      `excl: errno ${E.EXIST}`,
      `mkdir: errno ${E.EXIST}`,
      `unlink: errno ${E.ISDIR}`,
      `rmdir: errno ${E.NOTEMPTY}`,
      `stat: errno ${E.NOENT}`,
    ]);
  });

  it('sets access and modification times by path and by fd', async () => {
    const out = await tool(['mtime', '/sb/f.txt', 'futimes', '/sb/sub']);
    expect(out).toEqual(['mtime atime=1000000000.000000005 mtime=1234567890.123456789', 'futimes mtime=1500000000.000000042']);
    const st = fs.statSync(path.join(sb, 'sub'), { bigint: true });
    expect(st.mtimeNs).toBe(1500000000_000000042n);
  });

  it('refuses writes through a read-only fd and reads through a write-only one (libc turns NOTCAPABLE into EBADF)', async () => {
    const out = await tool(['writero', '/sb/f.txt', 'readwo', '/sb/f.txt']);
    expect(out).toEqual([`writero: errno ${E.BADF}`, `readwo: errno ${E.BADF}`]);
    expect(fs.readFileSync(path.join(sb, 'f.txt'), 'utf8')).toBe('hello');
  });

  it('fd_renumber in a preview1 module (fs_tool imports no wasix_32v1) moves: `to` gets the file, the source closes', async () => {
    const out = await tool(['renumber', '/sb/f.txt']);
    // fd is closed (read -1), `to` reads "he" from its start; fd stays closed. (WASIX dup2: test/wasi-suite.test.ts.)
    expect(out).toEqual(['renumber  he -1 2 -1']);
  });
});

describe('directories', () => {
  it('readdir lists ., .., files, dirs and symlinks with their types and inode numbers', async () => {
    fs.symlinkSync('f.txt', path.join(sb, 'lnk'));
    const out = await tool(['ls', '/sb', 'ls', '/sb/sub']);
    expect(out).toEqual(['ls 7: ..:d .:d f.txt:f lnk:l out:l outdir:l sub:d', 'ls 2: ..:d .:d']);
  });

  it('readdir over a directory larger than libc\'s buffer takes several calls, and rewinddir starts over', async () => {
    fs.mkdirSync(path.join(sb, 'big'));
    const out = await tool(['many', '/sb/big', '300']);
    expect(out).toEqual(['many seen=300 dots=2 dup=0 again=302']);
    expect(fs.readdirSync(path.join(sb, 'big'))).toEqual([]);
  });

  it('fd_readdir with a 40-byte buffer: one entry per call by cookie, names truncated where they do not fit', async () => {
    const d = path.join(sb, 'd');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'alpha'), '');
    fs.writeFileSync(path.join(d, 'c'), '');
    fs.mkdirSync(path.join(d, 'beta-long-name-that-cannot-fit'));
    const r = await wasmx(['run', '--dir', sb, wat('fs_readdir')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const buf = r.stdout;
    expect(buf.length % 48).toBe(0);
    const records = [];
    for (let off = 0; off < buf.length; off += 48) {
      const errno = buf.readUInt32LE(off);
      const used = buf.readUInt32LE(off + 4);
      records.push({ errno, used, data: buf.subarray(off + 8, off + 8 + used) });
    }
    // 5 entries (., .., alpha, c, beta-...) then a call that returns nothing.
    expect(records.length).toBe(6);
    expect(records.every((x) => x.errno === 0)).toBe(true);
    expect(records[5].used).toBe(0);
    const seen = new Map<string, { ino: bigint; type: number }>();
    records.slice(0, 5).forEach((rec, cookie) => {
      const next = rec.data.readBigUInt64LE(0);
      const ino = rec.data.readBigUInt64LE(8);
      const namlen = rec.data.readUInt32LE(16);
      const type = rec.data[20];
      expect(next).toBe(BigInt(cookie + 1)); // d_next: the cookie that continues after this entry
      expect(rec.data.readUInt32LE(20) >>> 8).toBe(0); // padding zeroed
      const full = 24 + namlen;
      if (full > 40) expect(rec.used).toBe(40); // truncated: the buffer was filled
      if (cookie < 4) expect(rec.used).toBe(40); // more entries follow: the whole buffer is used
      const name = rec.data.subarray(24, Math.min(full, rec.used)).toString(); // cut short when it did not fit
      seen.set(name, { ino, type });
    });
    expect([...seen.keys()].sort()).toEqual(['.', '..', 'alpha', 'beta-long-name-t', 'c']);
    const ino = (p: string) => fs.statSync(p, { bigint: true }).ino;
    expect(seen.get('alpha')).toEqual({ ino: ino(path.join(d, 'alpha')), type: 4 });
    expect(seen.get('c')).toEqual({ ino: ino(path.join(d, 'c')), type: 4 });
    expect(seen.get('beta-long-name-t')).toEqual({ ino: ino(path.join(d, 'beta-long-name-that-cannot-fit')), type: 3 });
    expect(seen.get('.')!.type).toBe(3);
  });
});

describe('symlinks inside the preopen', () => {
  for (const [name, env] of RESOLVERS) {
    it(`are followed while they stay inside (${name})`, async () => {
      fs.writeFileSync(path.join(sb, 'sub', 'inner'), 'inner');
      fs.symlinkSync('f.txt', path.join(sb, 'lnk'));
      fs.symlinkSync('sub', path.join(sb, 'sd'));
      fs.symlinkSync('../f.txt', path.join(sb, 'sub', 'up'));
      fs.symlinkSync('../sd/inner', path.join(sb, 'sub', 'chain'));
      const out = await tool([
        'cat', '/sb/lnk',
        'cat', '/sb/sd/inner',
        'cat', '/sb/sub/up',
        'cat', '/sb/sub/chain',
        'lstat', '/sb/lnk',
        'stat', '/sb/lnk',
        'readlink', '/sb/sub/up',
        'symlink', 'sub/inner', '/sb/made',
        'cat', '/sb/made',
        'ls', '/sb/sd',
        'stat', '/sb/sd/',
      ], { env });
      expect(out).toEqual([
        'cat hello',
        'cat inner',
        'cat hello',
        'cat inner',
        'lstat link size=5 nlink=1',
        'stat file size=5 nlink=1',
        'readlink ../f.txt',
        'symlink ok',
        'cat inner',
        'ls 5: ..:d .:d chain:l inner:f up:l',
        'stat dir size=' + fs.statSync(path.join(sb, 'sub')).size + ' nlink=2',
      ]);
      expect(fs.readlinkSync(path.join(sb, 'made'))).toBe('sub/inner');
    });
  }
});

describe('escapes are denied with NOTCAPABLE', () => {
  for (const [name, env] of RESOLVERS) {
    it(`through .., symlinks to outside files and dirs, and sub/../.. (${name})`, async () => {
      const out = await tool([
        'cat', '/sb/../outside/x',
        'cat', '/sb/sub/../../outside/x',
        'cat', '/sb/out',
        'cat', '/sb/outdir/x',
        'stat', '/sb/out',
        'lstat', '/sb/out',
        'ls', '/sb/outdir',
        'ls', '/sb/sub/../..',
        'write', '/sb/outdir/planted', 'x',
        'mkdir', '/sb/outdir/newdir',
        'rename', '/sb/f.txt', '/sb/outdir/stolen',
        'unlink', '/sb/outdir/x',
        'link', '/sb/f.txt', '/sb/../outside/hard',
        'symlink', 'x', '/sb/outdir/lnk',
        'readlink', '/sb/out',
      ], { env });
      const cap = (cmd: string) => `${cmd}: errno ${E.NOTCAPABLE}`;
      expect(out).toEqual([
        cap('cat'),
        cap('cat'),
        cap('cat'),
        cap('cat'),
        cap('stat'),
        'lstat link size=12 nlink=1', // the link itself lives inside
        cap('ls'),
        cap('ls'),
        cap('write'),
        cap('mkdir'),
        cap('rename'),
        cap('unlink'),
        cap('link'),
        cap('symlink'),
        'readlink ../outside/x', // its text is not a capability
      ]);
      expect(fs.readdirSync(outside)).toEqual(['x']);
      expect(fs.readFileSync(path.join(outside, 'x'), 'utf8')).toBe('secret');
      expect(fs.existsSync(path.join(sb, 'f.txt'))).toBe(true);
    });

    it(`exact errno values at the ABI, including absolute paths and bad pointers (${name})`, async () => {
      fs.symlinkSync('loop', path.join(sb, 'loop'));
      fs.symlinkSync('/etc/passwd', path.join(sb, 'abs'));
      const r = await wasmx(['run', '--dir', sb, wat('fs_errors')], { env: { ...process.env, ...env } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const { BADF, EXIST, FAULT, INVAL, LOOP, NOENT, NOTDIR, RANGE, NOTCAPABLE: CAP } = E;
      const expected = [
        BADF, 0, INVAL, FAULT, CAP, // bad fd, open, bad whence, bad newoffset ptr, write on read-only fd
        CAP, CAP, CAP, CAP, CAP, // ../x, /etc/passwd, link to outside file, through outside dir, sub/../../x
        NOENT, EXIST, FAULT, FAULT, NOTDIR, // missing, mkdir existing, filestat ptr, path ptr, readdir on a file
        CAP, CAP, 0, 7, CAP, // unlink ../x, stat following out, lstat out (SYMBOLIC_LINK), rename to ../
        0, 12, INVAL, FAULT, CAP, CAP, // readlink out (12 bytes), ATIM|ATIM_NOW, tell ptr, rmdir .., mkdir sub/../..
        NOTDIR, EXIST, BADF, CAP, // O_DIRECTORY on a file, CREAT|EXCL existing, renumber bad fd, file fd as dir
        CAP, CAP, LOOP, CAP, // stat sub/../../x, link to ../, symlink loop, absolute symlink
        0, 3, 0, 104, 0, 1, 0, 1, // stat sub/. (DIRECTORY), read 'h', seek 1, tell 1
        BADF, BADF, INVAL, INVAL, INVAL, // filestat / pread bad fd, unknown fdflags, oflags, advice
        CAP, 0, CAP, // gaining rights, dropping them, seek without FD_SEEK
        RANGE, 2, FAULT, INVAL, // getcwd too small (needs 2), readdir buf out of range, NUL in path
        0, CAP, CAP, // guest-made symlink ../../x is created but not followed; path_open2 escape
      ];
      expect(r.stdout.toString().trim().split(' ').map(Number)).toEqual(expected);
      expect(fs.readlinkSync(path.join(sb, 'sub', 'dotdot-link'))).toBe('../../x');
    });
  }

  it('a root preopen (HOST::/) maps /etc/passwd to HOST/etc/passwd, not the host\'s', async () => {
    const out = await tool(['cat', '/etc/passwd', 'ls', '/', 'cat', '/../etc/passwd', 'cat', '/f.txt'], { dirs: ['--dir', `${sb}::/`] });
    expect(out).toEqual([`cat: errno ${E.NOENT}`, 'ls 6: ..:d .:d f.txt:f out:l outdir:l sub:d', `cat: errno ${E.NOTCAPABLE}`, 'cat hello']);
  });
});

describe('preopen names', () => {
  it('--dir HOST::GUEST and --mapdir GUEST::HOST expose the host directory under the guest name only', async () => {
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'o.txt'), 'other');
    const out = await tool(['cat', '/data/f.txt', 'cat', '/m/o.txt', 'write', '/m/new', 'made', 'cat', `${sb}/f.txt`, 'cat', '/sb/f.txt'], {
      dirs: ['--dir', `${sb}::/data`, '--mapdir', `/m::${other}`],
    });
    expect(out).toEqual(['cat hello', 'cat other', 'write ok', `cat: errno ${E.NOTCAPABLE}`, `cat: errno ${E.NOTCAPABLE}`]);
    expect(fs.readFileSync(path.join(other, 'new'), 'utf8')).toBe('made');
  });

  it('--dir HOST without a guest name keeps the host path', async () => {
    const out = await tool(['cat', `${sb}/f.txt`, 'ls', `${sb}/sub`], { dirs: ['--dir', sb] });
    expect(out).toEqual(['cat hello', 'ls 2: ..:d .:d']);
  });
});

describe('getcwd / chdir', () => {
  it('move within preopens, refuse missing dirs and escapes, and NUL-terminate the path', async () => {
    const r = await wasmx(['run', '--dir', `${sb}::/sb`, wat('fs_cwd')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.toString().trimEnd().split('\n')).toEqual([
      'pwd 0 1 /',
      'cd 0', // /sb/sub
      'pwd 0 7 /sb/sub',
      'cd 0', // ..
      'pwd 0 3 /sb',
      `cd ${E.NOENT}`, // nope
      `cd ${E.NOTCAPABLE}`, // /sb/outdir -> ../outside
      `cd ${E.NOENT}`, // /elsewhere: in no preopen
      'pwd 0 3 /sb',
      'cd 0', // sub/./
      'pwd 0 7 /sb/sub',
      'cd 0', // /
      'pwd 0 1 /',
      `cd ${E.FAULT}`,
    ]);
  });
});
