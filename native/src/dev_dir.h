// The guest's /dev (WASIX guests): a preopen named "/dev", placed after every preopen the user gave.
//
// Why: wasix-libc puts named semaphores (sem_open/sem_unlink) and shm_open under /dev/shm, and its getpass()
// reads /dev/stdin; programs write to /dev/null. wasmer gives WASIX guests such a /dev; wasmtime (preview1) gives
// none, so preview1 modules get none here either.
//
// The preopen is a private host directory made for this guest process (under the host's /dev/shm when it is a
// writable directory, else $TMPDIR or /tmp) holding an empty "shm" directory, and removed with everything in it
// when the process ends (proc_exit, a signal's default action, the end of a library run or serve instance; a host
// killed with SIGKILL leaves it behind, and the next wasmx that starts removes directories of dead owners).
// Beneath it, path_open and path_filestat_get serve a few device names instead of files (DevNodeNamed); every
// other name, "shm" included, is an ordinary confined path in the private directory.
//
// The user's own mapping wins: `--dir HOST::/dev` replaces all of this (no private directory is made), and
// `--dir HOST::/dev/shm` is the longer prefix libc matches for /dev/shm paths (the private one gets no "shm").
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "wasi_types.h"

namespace wasmx {

struct Instance;

// The names served beneath /dev. stdin/stdout/stderr name the guest's fds 0..2 (a dup: the new fd shares the
// entry, like /dev/fd/N on macOS); tty opens the host's controlling terminal, only when one of the guest's stdio
// fds is a terminal (else NXIO, what Linux says without a controlling terminal); the rest open the host device.
enum class DevNode : uint8_t { kNone, kNull, kZero, kFull, kRandom, kUrandom, kStdin, kStdout, kStderr, kTty };

// The node a path relative to /dev names ("null", "./null"), or kNone.
DevNode DevNodeNamed(const std::string& path);

// What the user's preopens leave to the private /dev: `dev` false when the user maps /dev itself, `shm` false
// when the user maps /dev/shm. Guest names are compared without leading '/', "./" or trailing '/'.
struct DevPlan {
  bool dev = true;
  bool shm = true;
};
DevPlan PlanDev(const std::vector<std::string>& guest_preopen_names);

// Makes the private directory (with "shm" when `with_shm`); *host_dir receives its path. Returns "" or a message.
std::string CreatePrivateDev(bool with_shm, std::string* host_dir);
// Removes the directory and everything beneath it, never following symlinks (the guest may have made some).
void RemovePrivateDev(const std::string& host_dir);

// path_open of `node` with host open(2) `flags` (access mode, O_NONBLOCK, O_CREAT/O_EXCL, ...; O_CLOEXEC added).
// Host devices and the terminal: *host_fd receives a new host fd. stdin/stdout/stderr: *guest_fd receives the
// new guest fd sharing that entry (with CLOEXEC `cloexec`), *host_fd stays -1.
Errno OpenDevNode(Instance& inst, DevNode node, int flags, bool cloexec, int* host_fd, uint32_t* guest_fd);
// path_filestat_get of `node`.
Errno StatDevNode(Instance& inst, DevNode node, struct stat* st);

}  // namespace wasmx
