;; hello.wat — the smallest WASI command: prints one line and exits 0.
;;
;;   wasmx run examples/hello.wat
;;   wasmx examples/hello.wat             # `run` is implied for a module file, as with wasmer and wasmtime
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "\20\00\00\00\11\00\00\00")   ;; ciovec: buf 32, len 17
  (data (i32.const 32) "Hello from wasmx\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))))
