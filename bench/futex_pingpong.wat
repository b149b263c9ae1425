;; Futex round trips between two guest threads (bench, not a test): the main thread sets word 0 to 1 and wakes,
;; the child sets it back to 0 and wakes; 200000 round trips, then the main thread exits. Time it from outside:
;;   time node bin/wasmx.js run bench/futex_pingpong.wat
;; Every round trip is two futex_wake + two futex_wait that really sleep (the cost of the wait primitive).
;; Memory: 0 word, 16 option_timestamp NONE, 32 woken.
(module
  (import "env" "memory" (memory 1 16 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasix_32v1" "futex_wait" (func $futex_wait (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "futex_wake_all" (func $futex_wake_all (param i32 i32) (result i32)))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (loop $forever
      (loop $wait (if (i32.eqz (i32.atomic.load (i32.const 0)))
        (then (drop (call $futex_wait (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 32))) (br $wait))))
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (call $futex_wake_all (i32.const 0) (i32.const 32)))
      (br $forever)))
  (func (export "_start")
    (local $i i32)
    (drop (call $spawn (i32.const 0)))
    (loop $round
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (drop (call $futex_wake_all (i32.const 0) (i32.const 32)))
      (loop $wait (if (i32.eq (i32.atomic.load (i32.const 0)) (i32.const 1))
        (then (drop (call $futex_wait (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 32))) (br $wait))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $i) (i32.const 200000)))))
)
