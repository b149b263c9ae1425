import { describe, expect, it } from 'vitest';
import { freePort, startWasmx, wat } from './helpers';

function exitOf(s: ReturnType<typeof startWasmx>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((r) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) r({ code: s.child.exitCode, signal: s.child.signalCode });
    else s.child.once('exit', (code, signal) => r({ code, signal }));
  });
}

async function waitFor(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('host signals under wasmx run', () => {
  it('SIGTERM reaches a guest that registered a handler through callback_signal, even while it sleeps', async () => {
    const s = startWasmx(['run', wat('signal_handler')]);
    await waitFor(() => s.stdout.includes('ready\n'));
    s.child.kill('SIGTERM');
    const r = await exitOf(s);
    expect(s.stdout).toBe('ready\nsignal 15\n');
    expect(r).toEqual({ code: 3, signal: null });
  });

  it('SIGINT ends a guest without a handler with the conventional 128+signal code', async () => {
    const port = await freePort();
    const s = startWasmx(['run', '--net', '--env', `PORT=${port}`, 'examples/hello-server.wat']);
    // Blocked in accept: the signal must still end it.
    await new Promise((r) => setTimeout(r, 500));
    s.child.kill('SIGINT');
    expect(await exitOf(s)).toEqual({ code: 130, signal: null });
  });
});
