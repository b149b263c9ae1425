/**
 * Real host signals against guests blocked in real kernel waits. Every case waits for the guest's "blocked"
 * marker AND for the thread to be asleep in the kernel (/proc/PID/task/TID: state S, wchan a poll/epoll wait),
 * then sends the signal and checks that the call ended (EINTR) or the process exited within a bound. The
 * fixtures follow wasix-libc's signal contract (test/fixtures/c/signals_calls.c) or name no handler at all.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLI, cfix, tmpdir, wat } from './helpers';
import path from 'node:path';
import { loadModule } from '../src/loader';
import { callStart, createGuestProcess, instantiate } from '../src/runner';
import { native } from '../src/native';

const EINTR = 27;
/** "Did it end" bound for one signal round trip (not a performance figure). */
const BOUND_MS = 2000;

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.once('close', (code, signal) => r({ code, signal, at: Date.now() })),
  );
  setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  return { child, out: () => out, err: () => err, exited };
}

async function until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Task {
  tid: number;
  state: string;
  wchan: string;
}
function tasks(pid: number): Task[] {
  const out: Task[] = [];
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const wchan = fs.readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8');
      out.push({ tid: Number(t), state: stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), wchan });
    } catch {
      // the task ended meanwhile
    }
  }
  return out;
}
/** wasmx's wait primitive sleeps in ppoll (poll_schedule_timeout); idle pool workers sleep in futex/epoll waits. */
const inPoll = (t: Task): boolean => t.state === 'S' && /poll_schedule_timeout|do_sys_poll/.test(t.wchan);

/**
 * Waits until the main thread sleeps in the kernel. Single-threaded `run`: the guest runs on the main thread, and
 * after printing its marker the next thing it can sleep in is the blocking call.
 */
async function mainAsleep(p: Proc): Promise<void> {
  const pid = p.child.pid!;
  return until(`the guest thread to sleep in the kernel (output so far: ${JSON.stringify(p.out().slice(-60))})`, () => tasks(pid).some((t) => t.tid === pid && t.state === 'S'));
}

/** Sends `sig` once `marker` is out and the guest sleeps; resolves with ms until `after` appears. */
async function interrupt(p: Proc, marker: string, sig: NodeJS.Signals, after: string): Promise<number> {
  await until(marker, () => p.out().includes(marker));
  await mainAsleep(p);
  const t0 = Date.now();
  p.child.kill(sig);
  await until(after, () => p.out().includes(after), BOUND_MS);
  return Date.now() - t0;
}

describe('wasmx run: every blocking call is interrupted by a host signal (guest with handlers)', () => {
  it('sleep, thread_sleep, poll, accept, connect, recv, send, epoll_wait, futex, pipes, fd_event, stdin: EINTR; SIGTERM handler exits', async () => {
    const p = start(['run', '--net', '--quiet', cfix('signals_calls'), 'calls']);
    const calls = ['sleep', 'thread_sleep', 'poll', 'accept', 'connect', 'recv', 'send', 'epoll'];
    for (const c of calls) await interrupt(p, `blocked ${c}\n`, 'SIGUSR1', `${c} r=${EINTR}\n`);
    // futex: the wait returns (woken = 1, a spurious wake-up) after the handler ran; the guest re-checks its
    // word and waits again (libc's restart semantics) until a SIGUSR2 handler changes the word.
    await interrupt(p, 'blocked futex\n', 'SIGUSR1', 'futex r=0 woken=1 word=0\n');
    await interrupt(p, 'blocked futex2\n', 'SIGUSR2', 'futex2 word=1\n');
    for (const c of ['pipe_read', 'pipe_write', 'eventfd', 'stdin']) await interrupt(p, `blocked ${c}\n`, 'SIGUSR1', `${c} r=${EINTR}\n`);
    await until('last marker', () => p.out().includes('blocked accept-term\n'));
    await mainAsleep(p);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const r = await p.exited;
    expect(r.at - t0).toBeLessThan(BOUND_MS);
    expect(r).toMatchObject({ code: 0, signal: null });
    const lines = [...calls.flatMap((c) => [`blocked ${c}`, 'handler 10', `${c} r=${EINTR}`])];
    lines.push('blocked futex', 'handler 10', 'futex r=0 woken=1 word=0', 'blocked futex2', 'handler 12', 'futex2 word=1');
    for (const c of ['pipe_read', 'pipe_write', 'eventfd', 'stdin']) lines.push(`blocked ${c}`, 'handler 10', `${c} r=${EINTR}`);
    lines.push('blocked accept-term', 'handler 15: exiting');
    expect(p.out()).toBe(lines.join('\n') + '\n');
    expect(p.err()).toBe('');
  });
});

describe('wasmx run: default actions', () => {
  it("default dispositions (libc's default handler): SIGTERM to a guest blocked in accept ends it with 143", async () => {
    const p = start(['run', '--net', '--quiet', cfix('signals_calls'), 'default']);
    await until('marker', () => p.out().includes('blocked accept\n'));
    await mainAsleep(p);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const r = await p.exited;
    expect(r.at - t0).toBeLessThan(BOUND_MS);
    expect(r).toMatchObject({ code: 143, signal: null });
    expect(p.out()).toBe('blocked accept\nfixture: default action for signal 15\n');
    expect(p.err()).toBe(''); // SIGTERM ends quietly; no trap
  });

  it('abort() exits 134 with libc\'s line and one wasmx line naming SIGABRT, no trap', async () => {
    const p = start(['run', cfix('signals_calls'), 'abort']);
    const r = await p.exited;
    expect(r).toMatchObject({ code: 134, signal: null });
    expect(p.out()).toBe('aborting\nfixture: default action for signal 6\n');
    expect(p.err()).toBe('wasmx: guest terminated by SIGABRT (signal 6)\n');
  });

  it('no signal export at all: SIGTERM ends a sleeping guest with 143, SIGQUIT with 131 and one line', async () => {
    for (const [sig, code, err] of [['SIGTERM', 143, ''], ['SIGQUIT', 131, 'wasmx: guest terminated by SIGQUIT (signal 3)\n']] as const) {
      const p = start(['run', wat('signals_plain')]);
      await until('marker', () => p.out().includes('blocked\n'));
      await mainAsleep(p);
      const t0 = Date.now();
      p.child.kill(sig);
      const r = await p.exited;
      expect(r.at - t0).toBeLessThan(BOUND_MS);
      expect(r).toMatchObject({ code, signal: null });
      expect(p.err()).toBe(err);
    }
  });

  it('proc_raise_interval (setitimer): SIGALRM interrupts a sleep for its handler, then ends the guest with 142', async () => {
    const p = start(['run', cfix('signals_calls'), 'alarm']);
    const r = await p.exited;
    expect(r).toMatchObject({ code: 142, signal: null });
    expect(p.out()).toBe(`sleep r=${EINTR} alarm=1\nfixture: default action for signal 14\n`);
    expect(p.err()).toBe('wasmx: guest terminated by SIGALRM (signal 14)\n');
  });

  it('SIGTERM with offloaded sends still queued: every byte reaches the peer before the exit', async () => {
    // The governor would run the sends inline on a busy machine: keep the pool handing off so bytes are queued.
    const p = start(['run', '--net', '--offload', 'threads', cfix('signals_calls'), 'offload'], { WASMX_OFFLOAD_GOVERN: '0' });
    await until('port', () => /port=\d+\n/.test(p.out()));
    const port = Number(/port=(\d+)/.exec(p.out())![1]);
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.pause(); // read nothing until the signal: the pool holds what the kernel cannot take
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('data', (d: Buffer) => chunks.push(d));
    await until('sent', () => p.out().includes('blocked sleep\n'));
    await mainAsleep(p);
    p.child.kill('SIGTERM');
    sock.resume();
    await closed;
    const r = await p.exited;
    expect(r).toMatchObject({ code: 143, signal: null });
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(4 << 20);
    let bad = -1;
    for (let i = 0; i < got.length && bad < 0; i++) if (got[i] !== i % 251) bad = i;
    expect(bad).toBe(-1);
  });
});

describe('threaded guests and serve instances', () => {
  it('a host signal interrupts the secondary thread blocked in thread_sleep (and the main one in thread_join)', async () => {
    const p = start(['run', wat('signals_mt')]);
    await until('marker', () => p.out().includes('blocked child\n'));
    const pid = p.child.pid!;
    // the child asleep in thread_sleep's ppoll (the main thread's join parks on a futex, like idle workers do)
    await until('the child asleep', () => tasks(pid).filter(inPoll).length >= 1);
    const t0 = Date.now();
    p.child.kill('SIGUSR1');
    const r = await p.exited;
    expect(r.at - t0).toBeLessThan(BOUND_MS + 3000); // includes the threaded runner's exit
    expect(r).toMatchObject({ code: 0, signal: null });
    const out = p.out();
    expect(out).toContain(`child sleep r=${EINTR}\n`);
    expect(out).toMatch(/signal 10 on [12]\n/);
    expect(out.endsWith('join r=0\ndone\n')).toBe(true);
  });

  it('threaded guest without a handler: SIGTERM ends it with 143 wherever its threads block', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const p = start(['run', '--net', wat('threads_accept'), String(port)]);
    const pid = p.child.pid!;
    // the main thread asleep in accept's ppoll (the two workers park in futex_wait, like idle pool workers)
    await until('the accepting thread asleep', () => tasks(pid).filter(inPoll).length >= 1);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const r = await p.exited;
    expect(r.at - t0).toBeLessThan(BOUND_MS);
    expect(r).toMatchObject({ code: 143, signal: null });
  });

  it('serve: SIGUSR1 reaches an instance blocked in sleep; SIGTERM drains and interrupts it outside accept', async () => {
    // --grace 0.2: the fixture's own loopback connections count as in flight
    const p = start(['serve', '--threads', '1', '--grace', '0.2', '--net', cfix('signals_calls'), 'calls']);
    await until('marker', () => p.out().includes('blocked sleep\n'));
    const pid = p.child.pid!;
    await until('the instance asleep', () => tasks(pid).some(inPoll));
    p.child.kill('SIGUSR1');
    await until('EINTR', () => p.out().includes(`sleep r=${EINTR}\n`), BOUND_MS);
    await until('next marker', () => p.out().includes('blocked thread_sleep\n'));
    await until('the instance asleep', () => tasks(pid).some(inPoll));
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const r = await p.exited;
    expect(r.at - t0).toBeLessThan(BOUND_MS);
    expect(r).toMatchObject({ code: 0, signal: null });
    // the instance's thread_sleep saw SIGTERM (no handler for it: libc's default action ran)
    expect(p.out()).toContain('blocked thread_sleep\nfixture: default action for signal 15\n');
  });
});

describe('a guest writing into a stdout pipe nobody reads', () => {
  // The parent's pipe stays blocking (it is not wasmx's to change); a write that waited in the kernel could be
  // reached by neither a signal nor the process's end. core_bigout writes 1 MiB; the pipe holds 64 KiB.
  it('wasmx run: SIGTERM ends it at once with 143', async () => {
    const child = spawn(process.execPath, [CLI, 'run', cfix('core_bigout')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pause(); // never read: the pipe fills
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    const exited = new Promise<{ code: number | null; at: number }>((r) => child.once('exit', (code) => r({ code, at: Date.now() })));
    try {
      await until('the guest to wait for room in the pipe', () => tasks(child.pid!).some((t) => t.tid === child.pid && inPoll(t)));
      const t0 = Date.now();
      child.kill('SIGTERM');
      const r = await exited;
      expect(r.code).toBe(143);
      expect(r.at - t0).toBeLessThan(BOUND_MS);
    } finally {
      child.kill('SIGKILL'); // a failed wait must not leave it behind (this test run ends before its 30 s timer)
    }
  });

  it("the library: an AbortSignal settles run() with 143 (stdio 'pipe' never read)", async () => {
    const script = `
      const wasmx = require(${JSON.stringify(require.resolve('../dist/index.js'))});
      const ac = new AbortController();
      const r = wasmx.run(${JSON.stringify(cfix('core_bigout'))}, { stdio: ['ignore', 'pipe', 'inherit'], signal: ac.signal });
      r.stdout.pause();
      let t0 = 0;
      process.stdin.once('data', () => { t0 = Date.now(); ac.abort(); });
      r.then((c) => { console.log('settled ' + c + ' ' + (Date.now() - t0)); process.exit(0); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('the guest thread to wait for room in the pipe', () => tasks(child.pid!).some(inPoll));
      child.stdin!.write('abort\n');
      await until('run() to settle', () => out.includes('\n'), BOUND_MS + 1000);
      const [, code, ms] = /^settled (\d+) (\d+)\n$/.exec(out) ?? [];
      expect(Number(code)).toBe(143);
      expect(Number(ms)).toBeLessThan(BOUND_MS);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a blocking send waiting for its offload queue to a peer that never reads', () => {
  /** Parked in the wait primitive's futex (wait.cc: FUTEX_WAIT_PRIVATE, op 0x80; glibc's condition variables,
   * where the other threads sleep, use FUTEX_WAIT_BITSET). */
  const parked = (pid: number): boolean =>
    fs.readdirSync(`/proc/${pid}/task`).some((t) => {
      try {
        return /^202 0x[0-9a-f]+ 0x80 /.test(fs.readFileSync(`/proc/${pid}/task/${t}/syscall`, 'utf8'));
      } catch {
        return false;
      }
    });

  it('the library: an AbortSignal ends it (143) after the bounded exit drain, not never', async () => {
    const script = `
      const wasmx = require(${JSON.stringify(require.resolve('../dist/index.js'))});
      const net = require('node:net');
      const ac = new AbortController();
      const r = wasmx.run(${JSON.stringify(cfix('offload_cases'))}, { args: ['big'], net: true, offload: 'threads',
        offloadMaxBytes: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'], signal: ac.signal, quiet: true });
      let out = '', peer;
      r.stdout.on('data', (d) => {
        out += d;
        const m = /port=(\\d+)/.exec(out);
        if (m && !peer) { peer = net.connect(Number(m[1]), '127.0.0.1'); peer.pause(); } // never reads
      });
      let t0 = 0;
      process.stdin.once('data', () => { t0 = Date.now(); ac.abort(); });
      r.then((c) => { console.log('settled ' + c + ' ' + (Date.now() - t0)); process.exit(0); });`;
    // The pool hands every send off (no governor switching to inline sends on a busy machine).
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, WASMX_OFFLOAD_GOVERN: '0' } });
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('the guest thread to park waiting for its queue', () => parked(child.pid!));
      child.stdin!.write('abort\n');
      const drainMs = 5000; // Process::kExitDrainMs: what was queued gets that long to reach the kernel
      await until('run() to settle', () => out.includes('\n'), drainMs + BOUND_MS + 2000);
      const [, code, ms] = /^settled (\d+) (\d+)\n$/.exec(out) ?? [];
      expect(Number(code)).toBe(143);
      expect(Number(ms)).toBeLessThan(drainMs + BOUND_MS);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a signal that comes before the guest has a thread', () => {
  // run()'s AbortSignal can fire between the process's creation and its first instance (on a worker): the
  // thread made after it must still see it, or the guest runs on and blocks for good.
  it('SIGTERM to a process with no instance yet: its first thread unwinds with 143 at its first call', async () => {
    const dir = tmpdir('wasmx-early-');
    const file = path.join(dir, 'spin.wat');
    // Calls sched_yield 100000 times, then returns (0): only an unwinding exit makes it 143.
    fs.writeFileSync(file, `(module
      (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
      (memory (export "memory") 1)
      (func (export "_start") (local $n i32)
        (loop $l (drop (call $yield)) (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $n) (i32.const 100000))))))`);
    const loaded = await loadModule(file);
    const pid = createGuestProcess({ args: ['spin'] });
    try {
      native().signalProcess(pid, 15); // no handler: the default action, with no thread to interrupt yet
      const { instance } = instantiate(loaded, pid, {});
      expect(callStart(instance, loaded.file)).toBe(143);
    } finally {
      native().releaseProcess(pid);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
