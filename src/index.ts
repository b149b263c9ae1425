/**
 * wasmx's library API — the whole public surface (README "Library API" lists the same names).
 *
 *   run(module, options)    one guest command to completion (threaded or not), on a worker by default
 *   serve(module, options)  N supervised instances sharing a port; resolves with a Server once it listens
 *   loadModule, watToWasm   loading .wasm/.wat files or bytes
 *   errors                  WasmxError and its kinds
 *   importStats()           the --stats counters (the `stats` option)
 */
export { run } from './run';
export type { RunOptions, GuestRun, StdioOption, StdioTarget } from './run';
export { serve, Server } from './serve';
export type { ServeOptions, InstanceExit } from './serve';
export type { GuestOptions } from './options';
export type { Preopen } from './runner';
export { importStats } from './runner';
export { loadModule, watToWasm } from './loader';
export type { LoadedModule } from './loader';
export { WasmxError, LoadError, LinkError, UsageError, TrapError } from './errors';
export type { OffloadMode, ImportStatsRow } from './native';
