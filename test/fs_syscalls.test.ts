// Host syscalls per file operation, counted with strace on the real wasmx process: an open costs one openat2
// (RESOLVE_BENEATH confines it; no readlinkat) and nothing else: the file type, which decides the rights as the
// WASI suite checks, is learnt from libc's own fstat after open. So open + fstat + read + close is four kernel
// calls, as native. stat() of a name in the preopen is one fstatat; of "dir/name" two (the remembered directory is
// checked, then looked into: StatDirCache in path_resolve.h) after a first openat2(O_PATH) + fstat + fstatat.
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

describe('stat through remembered directories (StatDirCache)', () => {
  it('sees every host change between two stats at once: a swapped directory, a symlink out (NOTCAPABLE), one in', async () => {
    const root = path.join(tmp, 'swap');
    const outside = path.join(tmp, 'swap-outside');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'f'), '7777777');
    fs.writeFileSync(path.join(root, 'sub', 'f'), '333');
    fs.writeFileSync(path.join(root, 'top'), '22');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'run', '--dir', `${root}::/r`, cfix('fs_opens'), 'statlines'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const answers: string[] = [];
    const ask = async (p: string): Promise<string> => {
      const want = answers.length + 1;
      child.stdin!.write(`${p}\n`);
      const end = Date.now() + 10_000;
      while (out.split('\n').length <= want) {
        if (Date.now() > end) throw new Error(`no answer for ${p}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      answers.push(out.split('\n')[want - 1]);
      return answers[want - 1];
    };
    expect(await ask('/r/sub/f')).toBe('size 3');
    expect(await ask('/r/sub/f')).toBe('size 3'); // remembered
    fs.renameSync(path.join(root, 'sub'), path.join(root, 'sub.old')); // a deploy's directory swap
    fs.mkdirSync(path.join(root, 'sub'));
    fs.writeFileSync(path.join(root, 'sub', 'f'), '55555');
    expect(await ask('/r/sub/f')).toBe('size 5');
    fs.rmSync(path.join(root, 'sub'), { recursive: true });
    fs.symlinkSync(outside, path.join(root, 'sub')); // now a way out: refused, never the outside file's size
    expect(await ask('/r/sub/f')).toBe('errno 76');
    fs.unlinkSync(path.join(root, 'sub'));
    fs.symlinkSync('sub.old', path.join(root, 'sub')); // a way within: followed
    expect(await ask('/r/sub/f')).toBe('size 3');
    expect(await ask('/r/sub/missing')).toBe('errno 44');
    expect(await ask('/r/top')).toBe('size 2');
    fs.unlinkSync(path.join(root, 'top'));
    fs.symlinkSync(path.join(outside, 'f'), path.join(root, 'top')); // a name in the root itself, now a link out
    expect(await ask('/r/top')).toBe('errno 76');
    child.stdin!.end();
    expect(await new Promise((r) => child.once('close', r))).toBe(0);
  });
});

describe.skipIf(!hasStrace || !canOpenat2)('host syscalls per file operation (strace)', () => {
  it('open+fstat+read+close of a file N times: exactly openat2, fstat, read, close each time (as native); stat of "name": one fstatat; of "dir/name": two', () => {
    const N = 25;
    const dir = path.join(tmp, 'www');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'opens_target.txt'), 'hello\n');
    fs.mkdirSync(path.join(dir, 'html'));
    fs.writeFileSync(path.join(dir, 'html', 'opens_target.txt'), 'hello\n');
    const log = path.join(tmp, 'strace.txt');
    const out = execFileSync('strace', ['-f', '-o', log, '-e', 'trace=%file,%desc', '-e', 'signal=none',
      process.execPath, CLI, 'run', '--dir', `${dir}::/www`, cfix('fs_opens'), '/www', String(N), 'html'], { encoding: 'utf8', timeout: 60_000 });
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
      if (m[2] === 'write' || m[2] === 'writev' || m[2] === 'pwritev2') break; // printf("ok")
      calls.push(m[2] === 'openat2' ? `openat2${/O_PATH/.test(l) ? '(O_PATH)' : ''}` : m[2]);
    }
    const fstat = (n: string) => (n === 'newfstatat' || n === 'fstat' || n === 'statx' ? 'fstat' : n);
    const read = (n: string) => (n === 'readv' ? 'read' : n);
    const norm = calls.map((c) => read(fstat(c)));
    const expected = [
      ...Array.from({ length: N }, () => ['openat2', 'fstat', 'read', 'close']).flat(),
      ...Array.from({ length: N }, () => ['fstat']).flat(),
      'openat2(O_PATH)', 'fstat', 'fstat', // "html" remembered
      ...Array.from({ length: N - 1 }, () => ['fstat', 'fstat']).flat(),
    ];
    expect(norm).toEqual(expected);
    expect(lines.filter((l) => l.includes('readlinkat'))).toEqual([]);
  });
});

describe.skipIf(!hasStrace)('host syscalls of a poll() loop (strace)', () => {
  it('poll_oneoff over 8 ready sockets, N times: one poll each, no fstat or ioctl per subscription', () => {
    const N = 50;
    const log = path.join(tmp, 'strace-poll.txt');
    const out = execFileSync('strace', ['-f', '-o', log, '-e', 'signal=none', process.execPath, CLI, 'run', cfix('poll_sockets'), String(N)],
      { encoding: 'utf8', timeout: 60_000 });
    expect(out).toBe(`go\ndone\nready ${8 * N} nbytes 0\n`);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    const go = lines.findIndex((l) => /write.*"go/.test(l));
    const done = lines.findIndex((l) => /write.*"done/.test(l));
    expect(go, 'the guest\'s "go"').toBeGreaterThan(0);
    const tid = lines[go].split(' ')[0];
    const calls = lines.slice(go + 1, done).filter((l) => l.startsWith(`${tid} `)).map((l) => /^\d+ +([a-z0-9_]+)\(/.exec(l)?.[1]).filter((c) => c);
    expect(calls.filter((c) => c === 'ppoll' || c === 'poll')).toHaveLength(N);
    // Nothing per subscription (the host's own allocator may brk/mprotect meanwhile; that is not the guest's).
    expect(calls.filter((c) => /stat|ioctl|lseek|fcntl/.test(c!))).toEqual([]);
  });
});
