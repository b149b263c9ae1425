#include "syscall.h"

namespace wasmx {
// tcsetattr & co.: wasmx never changes the host terminal's modes.
static Errno tty_set(Instance&, uint32_t /*tty_p*/) { return err::NOTSUP; }
WASMX_WASIX(tty_set);
}  // namespace wasmx
