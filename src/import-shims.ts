/**
 * A small JS function in front of each native import the guest uses.
 *
 * Why: wasm reaches a JS function import through a cheap wrapper, and TurboFan inlines a call from JS to a known
 * native (API) function. wasm calling the native function itself goes through V8's generic API-call path instead,
 * about twice as dear (bench/hostcall.js shows both). The shim is inlined only while its call site sees one
 * target, so every shim is compiled on its own: `new Function` with a source made unique by a counter (V8 caches
 * the compilation of an identical source, and its feedback with it). That costs a few µs per import, once per
 * instance. Where code generation from strings is refused, the native functions are
 * used as they are.
 */

type Native = (...args: unknown[]) => unknown;

let codegenRefused = false;
let made = 0;

/** `target` behind a shim of `params` parameters (the import's wasm arity). */
export function directCall(target: Native, params: number): Native {
  if (codegenRefused) return target;
  const args = Array.from({ length: params }, (_, i) => `a${i}`).join(', ');
  try {
    return (new Function('target', `// wasmx import shim ${++made}\nreturn function (${args}) { return target(${args}); };`) as (t: Native) => Native)(target);
  } catch {
    codegenRefused = true; // --disallow-code-generation-from-strings, or a CSP: call the natives directly
    return target;
  }
}
