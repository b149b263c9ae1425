/**
 * The syscall fuzzer in CI (scripts/fuzz.js: random calls through the real imports, guard bytes, escape checks),
 * bounded: two fixed seeds plus one that changes every run (printed when it fails: `npm run fuzz -- --seed N`
 * replays it). And a threaded guest that hammers the fd table from 3 threads while its main thread renumbers and
 * closes fds under them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpdir, wasmx, wat } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runFuzz } = require('../scripts/fuzz.js') as { runFuzz: (o: { seed: number; calls: number }) => Promise<{ seed: number; calls: number }> };

const FUZZ_CALLS_PER_SEED = 50_000;

describe('syscall fuzzer', () => {
  const fresh = Number(process.env.WASMX_FUZZ_SEED ?? Date.now() % 1_000_000_000);
  for (const seed of [1, 2, fresh]) {
    it(`seed ${seed}: ${FUZZ_CALLS_PER_SEED} calls without a throw, a bad errno, a stray write or an escape`, async () => {
      // On failure the error says "fuzz seed=N call=K: ..." and how to replay it.
      expect((await runFuzz({ seed, calls: FUZZ_CALLS_PER_SEED })).calls).toBeGreaterThan(FUZZ_CALLS_PER_SEED * 0.8);
    }, 60_000);
  }
});

describe('threaded fd table', () => {
  it('3 threads using fds while the main thread renumbers and closes them: no crash, no hang, normal exit', async () => {
    const dir = tmpdir('wasmx-fuzz-mt-');
    fs.writeFileSync(path.join(dir, 'f'), 'hello');
    try {
      const r = await wasmx(['run', '--dir', dir, wat('fuzz_fdtable_mt')], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.toString()).toBe('done 3\n');
      expect(r.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 70_000);
});
