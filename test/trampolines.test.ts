// The two calling paths of the imports (native/src/v8_trampoline.h): V8 callbacks, used when the running V8 is
// the one the addon was built for, and N-API callbacks, used under any other V8 or with WASMX_TRAMPOLINE=napi.
// Every other test runs the default path; this file runs the edges on both: argument decoding, results, and
// exceptions that N-API parks in its env (an exit or a trap inside a guest signal handler).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, wasmx, wat } from './helpers';

const DIST = path.join(ROOT, 'dist');
const INVAL = 28;
const BADF = 8;
const FAULT = 21;

const kindIn = (env: NodeJS.ProcessEnv): string =>
  execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(path.join(DIST, 'native.js'))}).native().trampolines())`], {
    env,
  }).toString();

describe('import trampolines', () => {
  it('are V8 callbacks under the V8 the addon was built for, N-API ones with WASMX_TRAMPOLINE=napi', () => {
    const env = { ...process.env };
    delete env.WASMX_TRAMPOLINE;
    expect(kindIn(env)).toBe('v8');
    expect(kindIn({ ...env, WASMX_TRAMPOLINE: 'napi' })).toBe('napi');
  });

  for (const kind of ['v8', 'napi'] as const) {
    describe(`${kind} callbacks`, () => {
      const env = { ...process.env, WASMX_TRAMPOLINE: kind };
      const run = (mode: string) => wasmx(['run', wat('trampoline_edges'), mode], { env });

      it('pass a pointer above 2^31 as a pointer and whole i64 values', async () => {
        const r = await run('a');
        expect(r.stderr).toBe('');
        expect(r.stdout.toString()).toBe(`high_ptr=${FAULT}\nclock=0\ntime_set=1\nseek_bad_fd=${BADF}\n`);
        expect(r.code).toBe(0);
      });

      it("run a signal handler's own syscalls, then return to the raising call", async () => {
        const r = await run('n');
        expect(r.stderr).toBe('');
        expect(r.stdout.toString()).toBe('handler=10\nraise=0\n');
        expect(r.code).toBe(3);
      });

      it('let proc_exit in a signal handler end the guest through the raising call', async () => {
        const r = await run('e');
        expect(r.stderr).toBe('');
        expect(r.stdout.toString()).toBe('handler=10\n');
        expect(r.code).toBe(9);
      });

      it('let a trap in a signal handler end the guest through the raising call', async () => {
        const r = await run('t');
        expect(r.stdout.toString()).toBe('handler=10\n');
        expect(r.stderr).toMatch(/^wasmx: trap: unreachable/);
        expect(r.code).toBe(134);
      });

      it('decode calls from JS like napi_get_value_*: bad types and missing arguments give INVAL', () => {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const addon = require(path.join(DIST, 'native.js')).native();
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const { createGuestProcess } = require(path.join(DIST, 'runner.js'));
        const before = addon.trampolines();
        expect(addon.setTrampolines(kind)).toBe(true);
        const pid = createGuestProcess({ args: ['t'], env: [] });
        try {
          expect(addon.trampolines()).toBe(kind);
          const [mods] = addon.createInstance(pid, null, 1, false);
          const wasi = mods.wasi_snapshot_preview1;
          expect(wasi.fd_close.name).toBe('fd_close');
          expect({
            noArgs: wasi.fd_close(),
            string: wasi.fd_close('3'),
            fraction: wasi.fd_close(99.7),
            wraps: wasi.fd_close(2 ** 32 + 99),
            negative: wasi.fd_close(-1),
            i64AsNumber: wasi.clock_time_get(0, 1, 64),
            noMemory: wasi.clock_time_get(0, 1n, 64),
            noArgsYield: wasi.sched_yield(),
          }).toEqual({
            noArgs: INVAL,
            string: INVAL,
            fraction: BADF,
            wraps: BADF,
            negative: BADF,
            i64AsNumber: INVAL,
            noMemory: FAULT,
            noArgsYield: 0,
          });
        } finally {
          addon.releaseProcess(pid);
          addon.setTrampolines(before);
        }
      });
    });
  }
});
