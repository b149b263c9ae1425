// The process contract, end to end through the real CLI: args/env, exit codes, traps, stdio, clocks and sleeping,
// poll_oneoff, signals, futexes, ids, tty, fd flags and the generic errno paths (WASI numbers, ABI §1.2).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { CLI, cfix, wasmx, wat } from './helpers';

const BADF = 8;
const FAULT = 21;
const INVAL = 28;
const NOTSUP = 58;
const SRCH = 71;

/** Parses "key=value" lines (also "k1=v1 k2=v2" on one line, prefixed by the first key) into a map. */
function facts(stdout: Buffer | string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.toString().split('\n')) {
    const parts = line.split(' ');
    const first = parts[0].split('=')[0];
    for (const [i, p] of parts.entries()) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = i === 0 ? p.slice(0, eq) : `${first}.${p.slice(0, eq)}`;
      out[key] = p.slice(eq + 1);
    }
  }
  return out;
}

/**
 * Runs `wasmx run ARGS` with stdin as a pipe the test drives: `script` maps a line the guest prints to what to do
 * when it appears (write data, or close stdin).
 */
function interactive(args: string[], script: Record<string, string | null>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const pending = new Map(Object.entries(script));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const [line, action] of [...pending]) {
        if (!stdout.split('\n').includes(line)) continue;
        pending.delete(line);
        if (action === null) child.stdin.end();
        else child.stdin.write(action);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('arguments and environment', () => {
  it('passes unicode argv to main(argc, argv), argv[0] being the module path', async () => {
    const mod = cfix('core_args_env');
    const r = await wasmx(['run', mod, 'héllo', 'wörld 🌍', '日本語', '']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines.slice(0, 6)).toEqual(['argc=5', `argv[0]=${mod}`, 'argv[1]=héllo', 'argv[2]=wörld 🌍', 'argv[3]=日本語', 'argv[4]=']);
  });

  it('passes --env values (unicode, inline and inherited) and nothing else from the host', async () => {
    const r = await wasmx(
      ['run', '--env', 'GREETING=grüß dich 🙂', '--env=EMPTY=', '--env', 'WASMX_T_HOST', '--env', 'WASMX_SHOW=GREETING,EMPTY,WASMX_T_HOST,HOME,PATH', cfix('core_args_env')],
      { env: { ...process.env, WASMX_T_HOST: 'from the host ✓' } },
    );
    expect(r.code).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain('envc=4\n');
    expect(out).toContain('env GREETING=grüß dich 🙂\n');
    expect(out).toContain('env EMPTY=\n');
    expect(out).toContain('env WASMX_T_HOST=from the host ✓\n');
    expect(out).toContain('env HOME=(unset)\n');
    expect(out).toContain('env PATH=(unset)\n');
  });
});

describe('exit codes', () => {
  const cases: [string, number][] = [
    ['exit3', 3],
    ['return7', 7],
    ['return0', 0],
    ['proc_exit0', 0],
    ['proc_exit2_5', 5],
  ];
  for (const [mode, code] of cases) {
    it(`${mode} ends the process with ${code}, stdout intact`, async () => {
      const r = await wasmx(['run', cfix('core_exit'), mode]);
      expect(r.code).toBe(code);
      expect(r.stdout.toString()).toBe(`start ${mode}\n`);
      expect(r.stderr).toBe('');
    });
  }
});

describe('traps', () => {
  it('a C trap exits 134 naming the wasm function, after what was written to stdout', async () => {
    const r = await wasmx(['run', cfix('core_exit'), 'trap']);
    expect(r.code).toBe(134);
    expect(r.stdout.toString()).toBe('start trap\n');
    expect(r.stderr).toMatch(/^wasmx: trap: unreachable.*\(in wasm function \S*crash_here\)\n$/);
  });

  it('an out-of-bounds load names the innermost function', async () => {
    const r = await wasmx(['run', wat('core_trap')]);
    expect(r.code).toBe(134);
    expect(r.stdout.toString()).toBe('before trap\n');
    expect(r.stderr).toBe('wasmx: trap: memory access out of bounds (in wasm function deep_fault)\n');
  });
});

describe('stdio', () => {
  const expected = (bytes: number): Buffer => {
    const lines: string[] = [];
    for (let i = 0; i < bytes / 64; i++) lines.push(`${String(i).padStart(7, '0')} ${String.fromCharCode(97 + (i % 26)).repeat(55)}\n`);
    return Buffer.from(lines.join(''));
  };

  it('1 MiB written to stdout arrives whole and in order', async () => {
    const r = await wasmx(['run', cfix('core_bigout'), '1048576']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('wrote 1048576\n');
    expect(r.stdout.length).toBe(1048576);
    expect(r.stdout.equals(expected(1048576))).toBe(true);
  });

  it('1 MiB through a pipe that is read slowly arrives whole and in order', async () => {
    const child = spawn(process.execPath, [CLI, 'run', cfix('core_bigout'), '1048576'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      child.stdout.pause(); // let the pipe fill up so the guest's writes block
      setTimeout(() => child.stdout.resume(), 3);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toBe('wrote 1048576\n');
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(1048576);
    expect(all.equals(expected(1048576))).toBe(true);
  });

  it('stdout and stderr writes keep their order when both go to one pipe', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `exec "${process.execPath}" "${CLI}" run "${cfix('core_order')}" 2>&1`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    const want = Array.from({ length: 50 }, (_, i) => `out${i}\nerr${i}\n`).join('');
    expect(r.out).toBe(want);
  });
});

describe('clocks, randomness, sleeping, WASIX process calls', () => {
  let f: Record<string, string>;
  it('runs the system-call fixture to completion', async () => {
    const r = await wasmx(['run', cfix('core_sys')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.toString().endsWith('\ndone\n')).toBe(true);
    f = facts(r.stdout);
  });

  it('clock_time_get / clock_res_get are sane and reject a bad clock id', () => {
    expect(Math.abs(Number(f.realtime_s) - Date.now() / 1000)).toBeLessThan(300);
    expect(f.monotonic_nondecreasing).toBe('1');
    expect(f.res_rc).toBe('0');
    expect(f.res_ok).toBe('1');
    expect(Number(f.bad_clock)).toBe(INVAL);
    expect(Number(f.bad_clock_res)).toBe(INVAL);
  });

  it('random_get fills buffers with fresh bytes; sched_yield succeeds', () => {
    expect(f.random_rc).toBe('0,0');
    expect(f.random_differs).toBe('1');
    expect(f['random_differs.nonzero']).toBe('1');
    expect(f.sched_yield).toBe('0');
  });

  it('poll_oneoff sleeps for relative and absolute (monotonic and realtime) clocks', () => {
    expect(f.nanosleep).toBe('0');
    expect(f.nanosleep_long_enough).toBe('1');
    expect(f.abs_mono).toBe('0');
    expect(f.abs_mono_reached).toBe('1');
    expect(f.abs_real).toBe('0');
    expect(f.abs_real_reached).toBe('1');
    expect(f.abs_past).toBe('0');
  });

  it('the signal startup calls succeed (else libc exits 71) and report every catchable signal at DEFAULT', () => {
    expect(f.signals_sizes).toBe('0');
    expect(f['signals_sizes.n']).toBe('29');
    expect(f.signals_get).toBe('0');
    // {sig, disp} pairs: 1..31 without SIGKILL (9) and SIGSTOP (19), all DEFAULT (0)
    expect(f.signals_list).toBe([...Array(31).keys()].map((i) => i + 1).filter((s) => s !== 9 && s !== 19).map((s) => `${s}:0`).join(','));
    expect(f.callback_signal).toBe('done');
  });

  it('futex_wait: value mismatch -> woken=1, timeout -> woken=0, both errno 0', () => {
    expect(f.futex_mismatch).toBe('0');
    expect(f['futex_mismatch.woken']).toBe('1');
    expect(f.futex_timeout).toBe('0');
    expect(f['futex_timeout.woken']).toBe('0');
    expect(f['futex_timeout.long_enough']).toBe('1');
    expect(f.futex_timeout0).toBe('0');
    expect(f['futex_timeout0.woken']).toBe('0');
    expect(Number(f.futex_misaligned)).toBe(INVAL);
    expect(Number(f.futex_fault)).toBe(FAULT);
  });

  it('futex_wake / futex_wake_all with no waiters succeed and wake nobody', () => {
    expect(f.futex_wake).toBe('0');
    expect(f['futex_wake.woken']).toBe('0');
    expect(f.futex_wake_all).toBe('0');
    expect(f['futex_wake_all.woken']).toBe('0');
  });

  it('fd_fdflags_get / fd_fdflags_set keep CLOEXEC per fd', () => {
    expect(f.fdflags_get).toBe('0');
    expect(f['fdflags_get.flags']).toBe('0');
    expect(f.fdflags_set).toBe('0');
    expect(f.fdflags_get2).toBe('0');
    expect(f['fdflags_get2.flags']).toBe('1');
    expect(f.fdflags_clear).toBe('0');
    expect(Number(f.fdflags_badflag)).toBe(INVAL);
    expect(f.fdflags_badf).toBe(`${BADF},${BADF}`);
  });

  it('tty_get reports "not a tty" for piped stdio; tty_set is NOTSUP', () => {
    expect(f.tty_get).toBe('0');
    for (const k of ['cols', 'rows', 'width', 'height', 'stdin', 'stdout', 'stderr', 'echo', 'lb', 'lf']) expect(f[`tty_get.${k}`]).toBe('0');
    expect(Number(f.tty_set)).toBe(NOTSUP);
    expect(f.isatty1).toBe('0');
  });

  it('proc_id / proc_parent / thread_id / thread_parallelism / thread_sleep', () => {
    expect(f.proc_id).toBe('0');
    expect(Number(f['proc_id.pid'])).toBeGreaterThan(0);
    expect(f.proc_parent).toBe('0');
    expect(f['proc_parent.ppid']).toBe('0');
    expect(Number(f.proc_parent_other)).toBe(SRCH);
    expect(f.thread_id).toBe('0');
    expect(f['thread_id.tid']).toBe('1');
    expect(f.thread_parallelism).toBe('0');
    expect(Number(f['thread_parallelism.cores'])).toBe(os.cpus().length);
    expect(f.thread_sleep0).toBe('0');
    expect(f.thread_sleep).toBe('0');
    expect(f.thread_sleep_long_enough).toBe('1');
  });
});

describe('poll_oneoff', () => {
  it('clocks (zero, several, relative, absolute), writable pipes, a closed fd, and stdin data then hang-up', async () => {
    const r = await interactive([wat('core_poll')], { 'waiting=1': 'hello', 'waiting2=1': null });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const f = facts(r.stdout);
    const event = (p: string, ud: number, type: number, extra: { error?: number; nbytes?: number; flags?: number } = {}) => {
      expect(f[p], p).toBe('0');
      expect(f[`${p}_nevents`], `${p}_nevents`).toBe('1');
      expect(f[`${p}_ev0_userdata`]).toBe(String(ud));
      expect(f[`${p}_ev0_type`]).toBe(String(type));
      expect(f[`${p}_ev0_error`]).toBe(String(extra.error ?? 0));
      expect(f[`${p}_ev0_nbytes`]).toBe(String(extra.nbytes ?? 0));
      expect(f[`${p}_ev0_flags`]).toBe(String(extra.flags ?? 0));
    };
    event('rel0', 0x1234, 0); // relative timeout 0 fires immediately (spec, §4.5)
    expect(f.two).toBe('0');
    expect(f.two_nevents).toBe('1'); // of a 0 and a 1000 s clock, only the first fired
    expect(f.two_ev0_userdata).toBe('1');
    event('rel20ms', 3, 0);
    expect(f.rel20ms_long_enough).toBe('1');
    event('absmono', 4, 0);
    expect(f.absmono_reached).toBe('1');
    event('abspast', 5, 0);
    expect(f.writable).toBe('0');
    expect(f.writable_nevents).toBe('2'); // stdout and stderr, not the 1000 s clock
    expect([f.writable_ev0_userdata, f.writable_ev0_type, f.writable_ev1_userdata, f.writable_ev1_type]).toEqual(['61', '2', '62', '2']);
    event('closedfd', 71, 1, { error: BADF });
    event('stdin', 81, 1, { nbytes: 5 });
    expect(f.stdin_read).toBe('0');
    expect(f.stdin_nread).toBe('5');
    event('eof', 91, 1, { flags: 1 }); // HANGUP once the test closed its end
    expect(f.done).toBe('1');
  });

  it('libc poll() and ioctl(FIONREAD) on stdin see data the test writes', async () => {
    const r = await interactive([cfix('core_sys'), 'poll_stdin'], { waiting: 'hello' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('poll0=0\nwaiting\npoll=1 revents_in=1\nfionread=0 avail=5\nread=5 data=hello\n');
  });
});

describe('signals and exec', () => {
  it('delivers proc_raise to the callback_signal export, holds signals while it is blocked; SIGKILL ends with 137', async () => {
    const r = await wasmx(['run', wat('core_signal')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(128 + 9);
    expect(r.stdout.toString()).toBe(
      [
        'sizes=0', 'count=29', 'get=0',
        'handler_signal=10', 'raise_usr1=0', 'handled=1',
        'raise_0=0', `raise_bad=${INVAL}`,
        'raise_winch=0', 'raise_chld=0', 'raise_urg=0', 'handled=1',
        'handler_signal=17', 'handler_signal=23', 'handler_signal=28', 'handled_after=4',
        'terminating=9', '',
      ].join('\n'),
    );
  });

  for (const [name, args] of [['proc_exec', []], ['proc_exec2', ['x']]] as const) {
    it(`${name} is refused with one line and exit code 1`, async () => {
      const r = await wasmx(['run', wat('core_exec'), ...args]);
      expect(r.code).toBe(1);
      expect(r.stdout.toString()).toBe('before\n');
      expect(r.stderr).toBe('wasmx: proc_exec is not supported\n');
    });
  }
});

describe('generic error paths', () => {
  it('bad fd -> BADF, pointer past the end of memory -> FAULT, bad enum / clock id -> INVAL', async () => {
    const r = await wasmx(['run', wat('core_errno')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const f = facts(r.stdout);
    const want: Record<string, number> = {
      fd_write_badf: BADF,
      fd_write_iovs_past_end: FAULT,
      fd_write_buf_past_end: FAULT,
      fd_write_nwritten_past_end: FAULT,
      fd_read_badf: BADF,
      fd_close_badf: BADF,
      fd_fdstat_get_badf: BADF,
      fd_fdstat_get_past_end: FAULT,
      args_get_past_end: FAULT,
      args_get_buf_past_end: FAULT,
      args_sizes_get_past_end: FAULT,
      environ_sizes_get_past_end: FAULT,
      clock_time_get_bad_id: INVAL,
      clock_time_get_past_end: FAULT,
      clock_res_get_bad_id: INVAL,
      clock_res_get_past_end: FAULT,
      random_get_past_end: FAULT,
      proc_raise_bad_signal: INVAL,
      poll_nsubs_0: INVAL,
      poll_bad_clock: INVAL,
      poll_bad_tag: INVAL,
      poll_subs_past_end: FAULT,
      poll_events_past_end: FAULT,
      poll_closed_fd: 0,
      poll_closed_fd_nevents: 1,
      poll_closed_fd_event_error: BADF,
      poll_closed_fd_event_type: 1,
      poll_closed_fd_event_userdata: 0x5151,
      fd_fdflags_get_badf: BADF,
      fd_fdflags_get_past_end: FAULT,
      fd_fdflags_set_bad_flags: INVAL,
      futex_wait_misaligned: INVAL,
      futex_wait_past_end: FAULT,
      futex_wait_bad_option_tag: INVAL,
      futex_wake_woken_past_end: FAULT,
      tty_get_past_end: FAULT,
      tty_set: NOTSUP,
      proc_id_past_end: FAULT,
      proc_parent_unknown_pid: SRCH,
      thread_id_past_end: FAULT,
      proc_signals_sizes_get_past_end: FAULT,
    };
    const got: Record<string, number> = {};
    for (const k of Object.keys(want)) got[k] = Number(f[k]);
    expect(got).toEqual(want);
  });
});
