/**
 * The guest's /dev (native/src/dev_dir.h): WASIX guests get a /dev preopen with a private /dev/shm, removed when the
 * process ends however it ends; device names beneath it; the user's own mapping wins; preview1 guests get none.
 * The fixture does at the syscall level what wasix-libc's sem_open/sem_unlink and getpass do.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, cfix, tmpdir, wasmx } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib = require(path.join(ROOT, 'dist', 'index.js')) as typeof import('../src/index');

/** Where wasmx makes the private directories (dev_dir.cc BaseDir). */
function devBase(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK | fs.constants.X_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    /* no /dev/shm here */
  }
  return process.env.TMPDIR || '/tmp';
}

/** The private directories of host process `pid`. */
const privateDirs = (pid: number): string[] =>
  fs.readdirSync(devBase()).filter((n) => n.startsWith(`wasmx-dev-${pid}-`)).map((n) => path.join(devBase(), n));

async function until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts `wasmx run dev_dir hold NAME`, waits until the guest made its semaphore file. */
async function holding(name: string) {
  const child = spawn(process.execPath, [CLI, 'run', cfix('dev_dir'), 'hold', name], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  try {
    await until('the guest to hold its semaphore', () => out.includes('held'));
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const dirs = privateDirs(child.pid!);
  return { child, closed, dirs };
}

describe('the guest /dev', () => {
  it("wasix-libc's named-semaphore protocol works out of the box; unlinking a missing name is ENOENT", async () => {
    const r = await wasmx(['run', cfix('dev_dir'), 'sem', 'one']);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('sem ok\n');
    expect(r.code).toBe(0);
  });

  it('/dev/shm is private to each guest process and lives on the host only while the process runs', async () => {
    const a = await holding('a');
    const b = await holding('b');
    expect(a.dirs).toHaveLength(1);
    expect(b.dirs).toHaveLength(1);
    expect(fs.readdirSync(path.join(a.dirs[0], 'shm'))).toEqual(['sem.a']); // b's semaphore is not in a's /dev/shm
    expect(fs.readdirSync(path.join(b.dirs[0], 'shm'))).toEqual(['sem.b']);
    a.child.stdin!.end('\n'); // a returns from main
    expect((await a.closed).code).toBe(0);
    expect(fs.existsSync(a.dirs[0])).toBe(false);
    b.child.kill('SIGTERM'); // b has no handler: the default action ends it
    expect((await b.closed).code).toBe(143);
    expect(fs.existsSync(b.dirs[0])).toBe(false);
  });

  it('a directory left by a wasmx killed with SIGKILL is removed by the next wasmx', async () => {
    const k = await holding('k');
    expect(k.dirs).toHaveLength(1);
    k.child.kill('SIGKILL');
    await k.closed;
    expect(fs.existsSync(k.dirs[0])).toBe(true);
    expect((await wasmx(['run', cfix('dev_dir'), 'sem', 'next'])).code).toBe(0);
    expect(fs.existsSync(k.dirs[0])).toBe(false);
  });

  it('a library run removes its directory when run() settles', async () => {
    const before = new Set(privateDirs(process.pid));
    expect(await lib.run(cfix('dev_dir'), { args: ['sem', 'lib'], stdio: 'ignore' })).toBe(0);
    expect(privateDirs(process.pid).filter((d) => !before.has(d))).toEqual([]);
  });

  it('/dev/stdin, /dev/stdout, /dev/null, /dev/zero; /dev/tty without a terminal is ENXIO; /dev is the last preopen', async () => {
    const dir = tmpdir('wasmx-devdir-');
    const r = await wasmx(['run', '--dir', `${dir}::/data`, cfix('dev_dir'), 'stdio'], { input: 'the password\n' });
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('via /dev/stdout: the password\nlast preopen /dev\n');
    expect(r.code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the user's own /dev/shm wins over the private one", async () => {
    const shm = tmpdir('wasmx-usershm-');
    const r = await wasmx(['run', '--dir', `${shm}::/dev/shm`, cfix('dev_dir'), 'put', 'kept']);
    expect(r.stdout.toString()).toBe('put ok\n');
    expect(fs.readFileSync(path.join(shm, 'kept'), 'utf8')).toBe('mapped');
    fs.rmSync(shm, { recursive: true, force: true });
  });

  it("the user's own /dev replaces it: no private directory, device names are plain files there", async () => {
    const dev = tmpdir('wasmx-userdev-');
    fs.mkdirSync(path.join(dev, 'shm'));
    const child = spawn(process.execPath, [CLI, 'run', '--dir', `${dev}::/dev`, cfix('dev_dir'), 'hold', 'u'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((r) => child.once('close', r));
    await until('the guest to hold its semaphore', () => out.includes('held'));
    expect(privateDirs(child.pid!)).toEqual([]);
    expect(fs.readdirSync(path.join(dev, 'shm'))).toEqual(['sem.u']);
    child.stdin!.end('\n');
    await closed;
    const r = await wasmx(['run', '--dir', `${dev}::/dev`, cfix('dev_dir'), 'stdio'], { input: 'x\n' });
    expect(r.stdout.toString()).toBe('FAIL open /dev/stdin errno=44\n'); // ENOENT: the user's /dev has no stdin
    fs.rmSync(dev, { recursive: true, force: true });
  });

  it('a preview1 module gets no /dev (what wasmtime gives it); the same module importing WASIX gets one', async () => {
    const dir = tmpdir('wasmx-devwat-');
    const mod = (wasix: boolean) => `(module
      (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      ${wasix ? '(import "wasix_32v1" "proc_id" (func $pid (param i32) (result i32)))' : ''}
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (call $prestat (i32.const 3) (i32.const 16)))))`;
    fs.writeFileSync(path.join(dir, 'p1.wat'), mod(false));
    fs.writeFileSync(path.join(dir, 'wasix.wat'), mod(true));
    expect((await wasmx(['run', path.join(dir, 'p1.wat')])).code).toBe(8); // BADF: fd 3 is nothing
    expect((await wasmx(['run', path.join(dir, 'wasix.wat')])).code).toBe(0); // fd 3 is /dev
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
