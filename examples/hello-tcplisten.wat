;; hello-tcplisten.wat — hello-server.wat's answer, on the listener that `wasmx serve --tcplisten` opens, so the
;; command line (or a container's args) decides the address instead of the module:
;;
;;   wasmx serve --tcplisten 0.0.0.0:8080 --admin 0.0.0.0:9090 examples/hello-tcplisten.wat
;;
;; It uses preview1's 3-argument sock_accept on fd 3, the first preopened socket (no --dir before it). Loop:
;; accept → send the response → shutdown(WR) → one non-blocking recv to consume the request (so the close is a FIN,
;; not a reset; see hello-server.wat) → close. When serve drains (SIGTERM), accept fails with SHUTDOWN (77) once the
;; queued connections are served: the instance exits 0. Any other accept error is retried.
;;
;; Memory map: 132 connection fd · 136 ciovec {256, 71} · 144 nsent · 176 iovec {512, 256} · 184 nread ·
;; 188 roflags · 256 response · 512 drain buffer.
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 136) "\00\01\00\00\47\00\00\00")           ;; ciovec: buf 256, len 71
  (data (i32.const 176) "\00\02\00\00\00\01\00\00")           ;; iovec: buf 512, len 256
  (data (i32.const 256) "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!")

  (func $_start (export "_start")
    (local $err i32) (local $cfd i32)
    (loop $serve
      (local.set $err (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 132)))
      (if (i32.eq (local.get $err) (i32.const 77)) (then (call $proc_exit (i32.const 0))))  ;; SHUTDOWN: drained
      (if (i32.eqz (local.get $err))
        (then
          (local.set $cfd (i32.load (i32.const 132)))
          (drop (call $sock_send (local.get $cfd) (i32.const 136) (i32.const 1) (i32.const 0) (i32.const 144)))
          (drop (call $sock_shutdown (local.get $cfd) (i32.const 2)))                  ;; WR: FIN after the response
          (drop (call $sock_recv (local.get $cfd) (i32.const 176) (i32.const 1) (i32.const 8)  ;; RECV_DONT_WAIT
                              (i32.const 184) (i32.const 188)))
          (drop (call $fd_close (local.get $cfd)))))
      (br $serve))))
