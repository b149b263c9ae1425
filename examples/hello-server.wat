;; hello-server.wat — the benchmark article's minimal HTTP server, written directly against the WASIX imports.
;;
;;   wasmx run --net examples/hello-server.wat                 # listens on 127.0.0.1:8080 (npm start)
;;   wasmx run --net --env PORT=9000 examples/hello-server.wat # another port: PORT from the guest environment
;;
;; Loop: sock_open(INET4, STREAM, TCP) → SO_REUSEADDR → sock_bind 127.0.0.1:PORT → sock_listen → forever:
;; sock_accept_v2 → sock_send "HTTP/1.1 200 OK\r\n\r\nHello, World!" → sock_shutdown(WR) → drain → fd_close.
;;
;; Why shutdown(WR) and the drain: the server never parses the request. Closing a socket whose receive queue still
;; holds unread bytes makes the kernel send RST instead of FIN, and a client can then see ECONNRESET instead of the
;; end of the response. shutdown(WR) queues the FIN right behind the response, so the client reads the full
;; response and then EOF even if a reset follows; one non-blocking sock_recv (RECV_DONT_WAIT) then consumes the
;; request that has usually arrived by now, so the close is normally a clean FIN with no reset at all. (A drain
;; that waits would let one silent client stall this single-threaded server.) shutdown(RDWR) would not help:
;; SHUT_RD does not discard the queue on Linux, so the close would still reset.
;;
;; Memory map: 16..125 addr_port_t (bind address, then each peer's) · 128 listener fd · 132 connection fd ·
;; 136 ciovec {256, 32} · 144 nsent · 152 environ count · 156 environ buf size · 176 iovec {512, 256} ·
;; 184 nread · 188 roflags · 256 response · 512 drain buffer · 1024 environ pointers · 4096.. environ strings.
(module
  (import "wasix_32v1" "sock_open" (func $sock_open (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_set_opt_flag" (func $sock_set_opt_flag (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_bind" (func $sock_bind (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_accept_v2" (func $sock_accept_v2 (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 2)
  (data (i32.const 136) "\00\01\00\00\20\00\00\00")           ;; ciovec: buf 256, len 32
  (data (i32.const 176) "\00\02\00\00\00\01\00\00")           ;; iovec: buf 512, len 256
  (data (i32.const 256) "HTTP/1.1 200 OK\r\n\r\nHello, World!")

  ;; PORT=<1..65535> from the environment, else 8080.
  (func $port (result i32)
    (local $i i32) (local $p i32) (local $v i32) (local $c i32)
    (if (call $environ_sizes_get (i32.const 152) (i32.const 156)) (then (return (i32.const 8080))))
    ;; room: 3072 bytes of pointers at 1024, 126976 bytes of strings at 4096 (2 pages)
    (if (i32.gt_u (i32.load (i32.const 152)) (i32.const 768)) (then (return (i32.const 8080))))
    (if (i32.gt_u (i32.load (i32.const 156)) (i32.const 126976)) (then (return (i32.const 8080))))
    (if (call $environ_get (i32.const 1024) (i32.const 4096)) (then (return (i32.const 8080))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 152))))
        (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; "PORT=" is the bytes 50 4f 52 54 3d
        (br_if $next (i32.ne (i32.load (local.get $p)) (i32.const 0x54524f50)))
        (br_if $next (i32.ne (i32.load8_u offset=4 (local.get $p)) (i32.const 0x3d)))
        (local.set $p (i32.add (local.get $p) (i32.const 5)))
        (local.set $v (i32.const 0))
        (block $end
          (loop $digit
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $end (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $c)))
            (br_if $end (i32.gt_u (local.get $v) (i32.const 65535)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $digit)))
        (if (i32.and (i32.ge_u (local.get $v) (i32.const 1)) (i32.le_u (local.get $v) (i32.const 65535)))
          (then (return (local.get $v))))))
    (i32.const 8080))

  (func $_start (export "_start")
    (local $lfd i32) (local $cfd i32) (local $err i32)
    (if (call $sock_open (i32.const 1) (i32.const 1) (i32.const 6) (i32.const 128))   ;; INET4, STREAM, TCP
      (then (call $proc_exit (i32.const 1))))
    (local.set $lfd (i32.load (i32.const 128)))
    (drop (call $sock_set_opt_flag (local.get $lfd) (i32.const 2) (i32.const 1)))     ;; REUSE_ADDR on
    ;; addr_port_t: tag INET4 @16, pad @17, port (little-endian u16) @18, 127.0.0.1 @20..23, rest zero
    (i32.store16 (i32.const 16) (i32.const 1))
    (i32.store16 (i32.const 18) (call $port))
    (i32.store (i32.const 20) (i32.const 0x0100007f))
    (if (call $sock_bind (local.get $lfd) (i32.const 16)) (then (call $proc_exit (i32.const 1))))
    (if (call $sock_listen (local.get $lfd) (i32.const 1024)) (then (call $proc_exit (i32.const 1))))
    (loop $serve
      (local.set $err (call $sock_accept_v2 (local.get $lfd) (i32.const 0) (i32.const 132) (i32.const 16)))
      ;; SHUTDOWN (77): `wasmx serve` is draining and every queued connection was handed out: end, do not retry
      ;; (a retry loop would spin on the same answer until the drain deadline).
      (if (i32.eq (local.get $err) (i32.const 77)) (then (call $proc_exit (i32.const 0))))
      (if (i32.eqz (local.get $err))
        (then
          (local.set $cfd (i32.load (i32.const 132)))
          (drop (call $sock_send (local.get $cfd) (i32.const 136) (i32.const 1) (i32.const 0) (i32.const 144)))
          (drop (call $sock_shutdown (local.get $cfd) (i32.const 2)))                  ;; WR: FIN after the response
          (drop (call $sock_recv (local.get $cfd) (i32.const 176) (i32.const 1) (i32.const 8)  ;; RECV_DONT_WAIT
                              (i32.const 184) (i32.const 188)))
          (drop (call $fd_close (local.get $cfd)))))
      (br $serve))))
