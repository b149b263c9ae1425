// --stats, --stats-json, --trace, --trace-file and WASMX_TRACE on a guest with a known sequence of import calls
// (test/fixtures/wat/stats_calls.wat), and the SIGUSR1 report of a guest blocked in a call.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, tmpdir, wasmx, wat } from './helpers';

const tmp = tmpdir('wasmx-observe-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// What stats_calls.wat calls, in order (without the "wait" argument).
const SEQUENCE = [
  ...Array(3).fill('fd_write'),
  ...Array(2).fill('fd_close'),
  ...Array(5).fill('clock_time_get'),
  ...Array(4).fill('sched_yield'),
  'path_open',
  'args_sizes_get',
  'proc_exit',
];
const EXPECTED: Record<string, { calls: number; errors: number }> = {
  fd_write: { calls: 3, errors: 0 },
  fd_close: { calls: 2, errors: 2 }, // BADF
  clock_time_get: { calls: 5, errors: 0 },
  sched_yield: { calls: 4, errors: 0 },
  path_open: { calls: 1, errors: 1 }, // NOENT
  args_sizes_get: { calls: 1, errors: 0 },
  proc_exit: { calls: 1, errors: 0 },
};

// A trace line: [p<process> t<thread>] name(args) = RESULT <microseconds us>
const TRACE_LINE = /^\[p(\d+) t(\d+)\] ([a-z_0-9-]+)\((.*)\) = ([A-Z0-9]+|\?|-?\d+) <(\d+\.\d{3})us>$/;
// A row of the --stats table: % time, seconds, usecs/call, calls, errors (blank when 0), name.
const STATS_ROW = /^ *(\d+\.\d\d) +(\d+\.\d{6}) +(\d+\.\d{3}) +(\d+) +(\d+)? +([a-z_0-9-]+)$/;

function statsTable(stderr: string): Record<string, { calls: number; errors: number }> {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^% time +seconds +usecs\/call +calls +errors +import$/.test(l));
  expect(start, stderr).toBeGreaterThanOrEqual(0);
  const rows: Record<string, { calls: number; errors: number }> = {};
  for (const l of lines.slice(start + 2)) {
    if (l.startsWith('------')) break;
    const m = STATS_ROW.exec(l);
    expect(m, `stats row: ${l}`).not.toBeNull();
    rows[m![6]] = { calls: Number(m![4]), errors: Number(m![5] ?? 0) };
  }
  return rows;
}

/** --stats-json's imports as { name: { calls, errors } }, to compare with an expected table. */
function countsByName(report: { imports: { name: string; calls: number; errors: number }[] }): Record<string, { calls: number; errors: number }> {
  return Object.fromEntries(report.imports.map((i) => [i.name, { calls: i.calls, errors: i.errors }]));
}

describe('--stats', () => {
  it('counts every call and error of a known sequence exactly, in the table and in --stats-json', async () => {
    const json = path.join(tmp, 'stats.json');
    const r = await wasmx(['run', '--stats-json', json, '--dir', tmp, wat('stats_calls')]);
    expect(r.code).toBe(7);
    expect(r.stdout.toString()).toBe('hi\nhi\nhi\n');
    expect(statsTable(r.stderr)).toEqual(EXPECTED);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const byName = countsByName(report);
    expect(byName).toEqual(EXPECTED);
    expect(report.total.calls).toBe(SEQUENCE.length);
    for (const i of report.imports) {
      expect(i.totalNs).toBeGreaterThanOrEqual(0);
      expect(i.meanNs).toBeCloseTo(i.totalNs / i.calls, 0);
    }
  });

  it('SIGUSR1 prints the report without ending a guest blocked in a call; the final report follows at exit', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--stats', '--dir', tmp, wat('stats_calls'), 'wait'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const until = async (cond: () => boolean, what: string) => {
      for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > 15_000) throw new Error(`timed out waiting for ${what}; stderr: ${err}`);
      }
    };
    await until(() => out.includes('ready\n'), 'ready'); // the next call is the blocking fd_read of stdin
    // Blocked: the main thread sleeps in poll/ppoll (the wait primitive, stdin and its wake fd) or read of fd 0
    // (/proc/PID/syscall: the number of the call it is in).
    const waits = process.arch === 'arm64' ? ['63', '65', '73'] : ['0', '19', '7', '271'];
    const inRead = () => {
      try {
        const [nr] = fs.readFileSync(`/proc/${child.pid}/syscall`, 'utf8').split(' ');
        return waits.includes(nr) && /^S/.test(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]);
      } catch {
        return false;
      }
    };
    await until(inRead, 'the blocking read');
    child.kill('SIGUSR1');
    await until(() => err.includes('------ \n') || /total\n/.test(err), 'the SIGUSR1 report');
    expect(child.exitCode).toBeNull(); // still running, still blocked
    expect(err).toMatch(/^wasmx: --stats \(SIGUSR1\)\n/);
    const first = statsTable(err);
    expect(first.fd_write).toEqual({ calls: 4, errors: 0 });
    expect(first.fd_read).toBeUndefined(); // in flight: counted when it returns
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', (c) => resolve(c));
      child.stdin.end(); // EOF: fd_read returns, the guest exits
    });
    expect(code).toBe(7);
    const final = statsTable(err.slice(err.indexOf('total\n') + 6));
    expect(final.fd_read).toEqual({ calls: 1, errors: 0 });
    expect(final.proc_exit).toEqual({ calls: 1, errors: 0 });
  });
});

describe('--trace', () => {
  it('writes one parseable line per call, in call order, with decoded arguments and errno names', async () => {
    const file = path.join(tmp, 'trace.txt');
    const r = await wasmx(['run', '--trace-file', file, '--dir', tmp, wat('stats_calls')]);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe('');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    const parsed = lines.map((l) => {
      const m = TRACE_LINE.exec(l);
      expect(m, `trace line: ${l}`).not.toBeNull();
      return { proc: m![1], tid: m![2], name: m![3], args: m![4], result: m![5] };
    });
    expect(parsed.map((p) => p.name)).toEqual(SEQUENCE);
    expect(parsed.every((p) => p.tid === '1')).toBe(true);
    expect(parsed[0]).toMatchObject({ args: '1, 0, 1, 100', result: 'SUCCESS' });
    expect(parsed[3]).toMatchObject({ name: 'fd_close', args: '99', result: 'BADF' });
    expect(parsed[5]).toMatchObject({ name: 'clock_time_get', args: '1, 0x1, 200', result: 'SUCCESS' });
    expect(parsed[14]).toMatchObject({ name: 'path_open', args: '3, 1, "stats_calls.txt", 15, 0, 0x2, 0x0, 0, 200', result: 'NOENT' });
    expect(parsed[16]).toMatchObject({ name: 'proc_exit', args: '7', result: '?' });
  });

  it('WASMX_TRACE=name,name traces only those imports, to stderr', async () => {
    const r = await wasmx(['run', '--dir', tmp, wat('stats_calls')], { env: { ...process.env, WASMX_TRACE: 'fd_close,path_open' } });
    expect(r.code).toBe(7);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => TRACE_LINE.exec(l)?.[3])).toEqual(['fd_close', 'fd_close', 'path_open']);
  });

  it('an unknown name in WASMX_TRACE is one clear line and exit 2', async () => {
    const r = await wasmx(['run', wat('stats_calls')], { env: { ...process.env, WASMX_TRACE: 'fd_wirte' } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: "wasmx: error: WASMX_TRACE: no import named 'fd_wirte'\n" });
  });
});

describe('library option stats', () => {
  it('run(file, { stats: true }) counts the calls; importStats() returns them', async () => {
    const script = `const w = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      w.run(${JSON.stringify(wat('stats_calls'))}, { stats: true, dirs: [{ host: ${JSON.stringify(tmp)}, guest: ${JSON.stringify(tmp)} }] })
        .then((code) => { const s = w.importStats(); process.stdout.write(JSON.stringify({ code, rows: s.map((r) => [r.name, r.calls, r.errors]) })); });`;
    const r = await new Promise<{ out: string; err: string }>((resolve) => {
      const c = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('close', () => resolve({ out, err }));
    });
    const res = JSON.parse(r.out.slice(r.out.indexOf('{')));
    expect(res.code).toBe(7);
    expect(Object.fromEntries(res.rows.map(([n, c, e]: [string, number, number]) => [n, { calls: c, errors: e }]))).toEqual(EXPECTED);
    expect(statsTable(r.err)).toEqual(EXPECTED); // and the table on stderr
  });
});

// The dynamic calls are implemented in TypeScript (src/dynamic-calls.ts) but counted and traced by the same
// observer as the addon's imports (test/fixtures/wat/stats_dyncalls.wat makes this sequence).
const DYN_SEQUENCE = [
  'args_sizes_get',
  'reflect_signature', 'reflect_signature',
  'call_dynamic', 'fd_write', 'call_dynamic', 'call_dynamic', // $hello's fd_write ends before its call_dynamic
  'closure_allocate', 'closure_allocate',
  'closure_prepare', 'closure_prepare',
  'call_dynamic',
  'closure_free', 'closure_free', 'closure_free',
];
const DYN_EXPECTED: Record<string, { calls: number; errors: number }> = {
  args_sizes_get: { calls: 1, errors: 0 },
  reflect_signature: { calls: 2, errors: 1 }, // INVAL: empty slot
  call_dynamic: { calls: 4, errors: 1 }, // INVAL: past the table
  fd_write: { calls: 1, errors: 0 },
  closure_allocate: { calls: 2, errors: 0 },
  closure_prepare: { calls: 2, errors: 1 }, // INVAL: not an allocated closure
  closure_free: { calls: 3, errors: 0 }, // the double free does nothing, successfully
};

describe('dynamic calls under --stats and --trace', () => {
  it('counts each of the five exactly, in the table and in --stats-json, next to the addon imports', async () => {
    const json = path.join(tmp, 'dyn-stats.json');
    const r = await wasmx(['run', '--stats-json', json, wat('stats_dyncalls')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('hi\n');
    expect(statsTable(r.stderr)).toEqual(DYN_EXPECTED);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const byName = countsByName(report);
    expect(byName).toEqual(DYN_EXPECTED);
    expect(report.total).toMatchObject({ calls: DYN_SEQUENCE.length, errors: 3 });
    for (const i of report.imports) expect(i.meanNs).toBeCloseTo(i.totalNs / i.calls, 0);
  });

  it('traces them in call order, in the same line format, with their arguments and errno', async () => {
    const file = path.join(tmp, 'dyn-trace.txt');
    const r = await wasmx(['run', '--trace-file', file, wat('stats_dyncalls')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((l) => {
      const m = TRACE_LINE.exec(l);
      expect(m, `trace line: ${l}`).not.toBeNull();
      return { tid: m![2], name: m![3], args: m![4], result: m![5] };
    });
    expect(parsed.map((p) => p.name)).toEqual(DYN_SEQUENCE);
    expect(parsed.every((p) => p.tid === '1')).toBe(true);
    expect(parsed[1]).toMatchObject({ args: '1, 200, 4, 210, 4, 220', result: 'SUCCESS' });
    expect(parsed[2]).toMatchObject({ args: '0, 200, 4, 210, 4, 220', result: 'INVAL' });
    expect(parsed[3]).toMatchObject({ args: '1, 300, 8, 320, 4, 1', result: 'SUCCESS' });
    expect(parsed[6]).toMatchObject({ args: '99, 0, 0, 0, 0, 1', result: 'INVAL' });
    expect(parsed[7]).toMatchObject({ args: '400', result: 'SUCCESS' });
    expect(parsed[10]).toMatchObject({ args: expect.stringMatching(/^3, 9999, 410, 1, 410, 1, 0$/), result: 'INVAL' });
  });

  it('WASMX_TRACE selects them by name like any import', async () => {
    const r = await wasmx(['run', wat('stats_dyncalls')], { env: { ...process.env, WASMX_TRACE: 'closure_free,call_dynamic' } });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => TRACE_LINE.exec(l)?.[3])).toEqual([...Array(4).fill('call_dynamic'), ...Array(3).fill('closure_free')]);
  });

  it("call_dynamic's time in the host leaves out the guest function it ran (200 ms in the guest)", async () => {
    const json = path.join(tmp, 'dyn-spin.json');
    const r = await wasmx(['run', '--stats-json', json, wat('stats_dyncalls'), 'spin']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(fs.readFileSync(json, 'utf8')).imports as { name: string; calls: number; totalNs: number }[];
    const call = rows.find((i) => i.name === 'call_dynamic')!;
    expect(call.calls).toBe(1);
    expect(call.totalNs).toBeLessThan(100e6); // the guest spun for 200 ms inside it (a loose bound: not a timing figure)
    expect(rows.find((i) => i.name === 'clock_time_get')!.calls).toBeGreaterThan(1); // its own imports count
  });
});
