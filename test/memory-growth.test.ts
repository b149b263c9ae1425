// A guest's own memory is made shared at load (src/wasm-binary.ts shareDefinedMemory): on Node 20 each grow of a
// non-shared wasm memory counts against V8's external-memory budget, so a heap growing page by page under load
// triggered a full garbage collection every few grows (the keep-alive server at 5000 connections: p99 0.7 s).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, wat } from './helpers';

function runTracingGc(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; fullGcs: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--trace-gc', CLI, 'run', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, fullGcs: (out.match(/Mark-Compact/g) ?? []).length, stderr: err }));
  });
}

describe('guest memory growth', () => {
  it('keeps what the guest observes: grow results, memory.size, the declared maximum, zeroed pages', async () => {
    const r = await runTracingGc(wat('memory_grow_pages'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('2000 single-page grows cause no full garbage collection', async () => {
    const r = await runTracingGc(wat('memory_grow_pages'));
    expect(r.code).toBe(0);
    expect(r.fullGcs).toBe(0);
  });

  it('the memory as declared (WASMX_MEMORY_AS_DECLARED=1) shows the cost this avoids', async () => {
    const r = await runTracingGc(wat('memory_grow_pages'), { WASMX_MEMORY_AS_DECLARED: '1' });
    expect(r.code).toBe(0);
    expect(r.fullGcs).toBeGreaterThan(10);
  });
});
