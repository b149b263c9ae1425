/** Errors wasmx raises, one class per kind, so callers (and the CLI) can tell them apart. */

/** Base class: every wasmx error carries the exit code the CLI uses for it. */
export class WasmxError extends Error {
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
    this.name = new.target.name;
  }
}

/** The module file is missing, unreadable or not valid wasm/wat. CLI exit code 2. */
export class LoadError extends WasmxError {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`, 2);
  }
}

/** The module cannot be linked (unsupported import kind, unknown imports under --strict). CLI exit code 2. */
export class LinkError extends WasmxError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Bad command-line usage. CLI exit code 2. */
export class UsageError extends WasmxError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The guest trapped. `reason` is the engine's message; `func` the wasm function, when known. Exit code 134. */
export class TrapError extends WasmxError {
  constructor(readonly reason: string, readonly func?: string) {
    super(func ? `${reason} (in wasm function ${func})` : reason, 134);
  }
}
