;; accept-loop.wat — an HTTP responder for `wasmx serve --tcplisten`: it opens no socket of its own, it accepts on
;; the listener wasmx preopened (the first preopened socket: fd 3, or after the --dir preopens), with plain WASI
;; preview1 calls only.
;;
;;   wasmx serve --threads 2 --tcplisten 127.0.0.1:8080 examples/accept-loop.wat    # curl http://127.0.0.1:8080/
;;
;; Loop: sock_accept → sock_send "HTTP/1.1 200 OK ... accept-loop" → sock_shutdown(WR) → non-blocking drain of the
;; request → fd_close (see hello-server.wat for why shutdown and the drain). Without a preopened socket it exits 1.
;;
;; Memory map: 0..23 fdstat · 128 listener fd · 132 connection fd · 136 ciovec {256, 37} · 144 nsent ·
;; 176 iovec {512, 256} · 184 nread · 188 roflags · 256 response · 512 drain buffer.
(module
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 136) "\00\01\00\00\25\00\00\00")           ;; ciovec: buf 256, len 37
  (data (i32.const 176) "\00\02\00\00\00\01\00\00")           ;; iovec: buf 512, len 256
  (data (i32.const 256) "HTTP/1.1 200 OK\r\n\r\nHello, accept-loop")

  ;; The first fd from 3 whose filetype is SOCKET_STREAM (6); -1 when there is none before the first bad fd.
  (func $listener (result i32)
    (local $fd i32)
    (local.set $fd (i32.const 3))
    (loop $next
      (if (call $fd_fdstat_get (local.get $fd) (i32.const 0)) (then (return (i32.const -1))))
      (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 6)) (then (return (local.get $fd))))
      (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
      (br $next))
    (i32.const -1))

  (func $_start (export "_start")
    (local $lfd i32) (local $cfd i32)
    (local.set $lfd (call $listener))
    (if (i32.lt_s (local.get $lfd) (i32.const 0)) (then (call $proc_exit (i32.const 1))))
    (loop $serve
      (if (i32.eqz (call $sock_accept (local.get $lfd) (i32.const 0) (i32.const 132)))
        (then
          (local.set $cfd (i32.load (i32.const 132)))
          (drop (call $sock_send (local.get $cfd) (i32.const 136) (i32.const 1) (i32.const 0) (i32.const 144)))
          (drop (call $sock_shutdown (local.get $cfd) (i32.const 2)))                  ;; WR: FIN after the response
          (drop (call $sock_recv (local.get $cfd) (i32.const 176) (i32.const 1) (i32.const 8)  ;; RECV_DONT_WAIT
                              (i32.const 184) (i32.const 188)))
          (drop (call $fd_close (local.get $cfd)))))
      (br $serve))))
