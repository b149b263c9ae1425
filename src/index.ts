/** wasmx library API. */
export { run, instantiate, callStart, createGuestProcess, configureObservation, importStats } from './runner';
export type { RunOptions, Preopen, GuestInstance } from './runner';
export { loadModule, watToWasm } from './loader';
export type { LoadedModule } from './loader';
export { WasmxError, LoadError, LinkError, UsageError, TrapError } from './errors';
export type { OffloadMode, ImportStatsRow } from './native';
