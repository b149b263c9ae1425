// Host syscalls per file operation, counted with strace on the real wasmx process: an open costs one openat2
// (RESOLVE_BENEATH confines it; no readlinkat) and nothing else: the file type, which decides the rights as the
// WASI suite checks, is learnt from libc's own fstat after open. So open + fstat + read + close is four kernel
// calls, as native; stat() is openat2(O_PATH) + fstat + close.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cfix, tmpdir, wasmx } from './helpers';

const hasStrace = (() => {
  try {
    execFileSync('strace', ['-o', '/dev/null', 'true']);
    return true;
  } catch {
    return false;
  }
})();
const canOpenat2 = process.platform === 'linux' && !process.env.WASMX_NO_OPENAT2;

const tmp = tmpdir('wasmx-fssys-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('file types at open', () => {
  it('a file and a directory opened without O_DIRECTORY report their types; the directory works as a base', async () => {
    const dir = path.join(tmp, 'types');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'opens_target.txt'), 'hello\n');
    const r = await wasmx(['run', '--dir', `${dir}::/t`, cfix('fs_opens'), 'types', '/t']);
    expect({ code: r.code, out: r.stdout.toString(), err: r.stderr }).toEqual({ code: 0, out: 'types ok\n', err: '' });
  });
});

describe.skipIf(!hasStrace || !canOpenat2)('host syscalls per file operation (strace)', () => {
  it('open+fstat+read+close of a file N times: exactly openat2, fstat, read, close each time (as native); stat: openat2(O_PATH), fstat, close', () => {
    const N = 25;
    const dir = path.join(tmp, 'www');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'opens_target.txt'), 'hello\n');
    const log = path.join(tmp, 'strace.txt');
    const out = execFileSync('strace', ['-f', '-o', log, '-e', 'trace=%file,%desc', '-e', 'signal=none',
      process.execPath, CLI, 'run', '--dir', `${dir}::/www`, cfix('fs_opens'), '/www', String(N)], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toBe(`ok ${N}\n`);
    const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
    const first = lines.findIndex((l) => /openat2\(\d+, "opens_target\.txt"/.test(l));
    expect(first, 'the guest\'s first open').toBeGreaterThan(0);
    const tid = lines[first].split(' ')[0];
    // Every call the guest thread made from its first open until it prints "ok": name and first argument.
    const calls: string[] = [];
    for (const l of lines.slice(first)) {
      const m = /^(\d+) +([a-z0-9_]+)\(([^,)]*)/.exec(l);
      if (!m || m[1] !== tid) continue;
      if (m[2] === 'write' || m[2] === 'writev') break; // printf("ok")
      calls.push(m[2] === 'openat2' ? `openat2${/O_PATH/.test(l) ? '(O_PATH)' : ''}` : m[2]);
    }
    const fstat = (n: string) => (n === 'newfstatat' || n === 'fstat' || n === 'statx' ? 'fstat' : n);
    const read = (n: string) => (n === 'readv' ? 'read' : n);
    const norm = calls.map((c) => read(fstat(c)));
    const expected = [
      ...Array.from({ length: N }, () => ['openat2', 'fstat', 'read', 'close']).flat(),
      ...Array.from({ length: N }, () => ['openat2(O_PATH)', 'fstat', 'close']).flat(),
    ];
    expect(norm).toEqual(expected);
    expect(lines.filter((l) => l.includes('readlinkat'))).toEqual([]);
  });
});
