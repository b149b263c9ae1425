// listenTcp(host, port, backlog) -> host fd: the listening socket `serve --tcplisten` opens once and preopens
// into every instance (each instance dups it into its own fd table).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace wasmx {

napi_value ListenTcpJs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char host[64] = {0};
  size_t hlen;
  uint32_t port = 0, backlog = 1024;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hlen) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535) {
    napi_throw_error(env, nullptr, "listenTcp(host, port, backlog?)");
    return nullptr;
  }
  if (argc >= 3) napi_get_value_uint32(env, argv[2], &backlog);
  struct sockaddr_storage ss = {};
  socklen_t len;
  auto* sin = reinterpret_cast<struct sockaddr_in*>(&ss);
  auto* sin6 = reinterpret_cast<struct sockaddr_in6*>(&ss);
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (inet_pton(AF_INET, h.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(uint16_t(port));
    len = sizeof *sin;
  } else if (inet_pton(AF_INET6, h.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(uint16_t(port));
    len = sizeof *sin6;
  } else {
    napi_throw_error(env, nullptr, ("--tcplisten: not an IP address: " + h).c_str());
    return nullptr;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  int one = 1;
  if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, reinterpret_cast<struct sockaddr*>(&ss), len) < 0 || listen(fd, int(backlog)) < 0) {
    std::string msg = std::string("--tcplisten ") + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    if (fd >= 0) close(fd);
    napi_throw_error(env, nullptr, msg.c_str());
    return nullptr;
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

}  // namespace wasmx
