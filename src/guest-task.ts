/**
 * One guest thread's work, wherever it runs (the main JS thread, or a pool worker): instantiate the module for
 * a thread of a process and enter it — `_start` for a process's main thread, `wasi_thread_start(tid, arg)` for
 * the others (ABI §7.2). Returns how it ended instead of throwing, so the result can cross a worker boundary.
 */
import { LinkOptions } from './linker';
import { ModuleRef, instantiate } from './runner';
import { asTrap } from './trap';

export interface GuestTask {
  kind: 'main' | 'thread';
  /** The module, sent as a compiled WebAssembly.Module (shared code, not recompiled) plus its parsed imports. */
  loaded: ModuleRef;
  processId: number;
  /** Shared memory of a threaded guest; absent for a guest that exports its memory. */
  memory?: WebAssembly.Memory;
  tid: number;
  startArg?: number;
  link?: LinkOptions;
}

export type GuestOutcome =
  | { status: 'returned' }
  | { status: 'exit'; code: number }
  | { status: 'thread-exit' }
  | { status: 'trap'; message: string }
  | { status: 'error'; message: string; exitCode: number };

export function runGuestTask(task: GuestTask): GuestOutcome {
  try {
    const { instance } = instantiate(task.loaded, task.processId, task.link ?? {}, task.memory, task.tid);
    if (task.kind === 'main') {
      const start = instance.exports._start;
      if (typeof start !== 'function') return { status: 'error', message: `${task.loaded.file}: the module has no _start export (not a WASI command)`, exitCode: 2 };
      (start as () => void)();
    } else {
      const entry = instance.exports.wasi_thread_start;
      if (typeof entry !== 'function') return { status: 'error', message: `${task.loaded.file}: the module has no wasi_thread_start export`, exitCode: 2 };
      (entry as (tid: number, arg: number) => void)(task.tid, task.startArg ?? 0);
    }
    return { status: 'returned' };
  } catch (e) {
    return outcomeOf(e);
  }
}

export function outcomeOf(e: unknown): GuestOutcome {
  const err = e as { wasmxExitCode?: number; wasmxThreadExit?: boolean; exitCode?: number; message?: string } | null;
  if (typeof err?.wasmxExitCode === 'number') return { status: 'exit', code: err.wasmxExitCode };
  if (err?.wasmxThreadExit) return { status: 'thread-exit' };
  const trap = asTrap(e);
  if (trap) return { status: 'trap', message: trap.message };
  return { status: 'error', message: err?.message ?? String(e), exitCode: typeof err?.exitCode === 'number' ? err.exitCode : 1 };
}
