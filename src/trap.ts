/** Turning an exception out of guest code into a TrapError (wasmtime-style reporting), or null if it is not one. */
import { TrapError } from './errors';

/** The first wasm frame of a V8 stack: `at name (wasm://wasm/<hash>:wasm-function[3]:0x5c)`. */
function wasmFunction(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const named = /^\s*at (\S+) \(wasm:\/\/wasm\/[^)]*wasm-function\[(\d+)\]/.exec(line);
    if (named) return named[1].replace(/^\$/, '');
    const anon = /^\s*at wasm:\/\/wasm\/\S*wasm-function\[(\d+)\]/.exec(line);
    if (anon) return `wasm-function[${anon[1]}]`;
  }
  return undefined;
}

export function asTrap(e: unknown): TrapError | null {
  if (e instanceof WebAssembly.RuntimeError) return new TrapError(e.message, wasmFunction(e.stack));
  if (e instanceof RangeError && /call stack/i.test(e.message) && /wasm-function/.test(e.stack ?? '')) {
    return new TrapError('call stack exhausted', wasmFunction(e.stack));
  }
  return null;
}
