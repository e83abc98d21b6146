// Test helpers for the HTTP server: a real HttpServer + Api + Metrics + TimelineStore
// over an EngineHost, on 127.0.0.1 port 0 with its own io_context thread (the test's
// "engine thread"); a small Beast client with a deadline on every request; raw sockets for
// slow clients; gunzip. Asio stays in http_test_support.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/host/engine_host.h"
#include "daemon/serve/api.h"
#include "daemon/serve/http_server.h"
#include "daemon/serve/http_stack.h"
#include "daemon/serve/metrics.h"
#include "daemon/serve/timeline_store.h"

namespace handoff::testing {

class TestServer {
 public:
  // Starts serving before returning; aborts the test binary if it cannot bind.
  TestServer(std::shared_ptr<const Config> config, HttpServerOptions options,
             Api::Options api_options = {});
  ~TestServer();

  std::uint16_t port() const { return port_; }
  // Runs `task` on the server's thread and waits for it: the only safe way for a test to
  // touch the host while the server runs.
  void OnEngine(const std::function<void(EngineHost&, Metrics&)>& task);
  std::size_t connections();
  // True once the server holds exactly `count` connections, false after `timeout`.
  bool AwaitConnections(std::size_t count, std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
};

// Constructs a server on a fresh io_context and only starts it: the bound address or why
// it could not start.
Result<std::string> StartOnce(HttpServerOptions options);

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  bool tls = false;
  std::chrono::milliseconds timeout{5000};
};

inline ClientRequest Request(std::string method, std::string target,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
  ClientRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = std::move(headers);
  return request;
}

// nullopt on a connection error or when the deadline passes.
std::optional<ClientResponse> Fetch(std::uint16_t port, const ClientRequest& request);
inline std::optional<ClientResponse> Get(std::uint16_t port, std::string target) {
  return Fetch(port, Request("GET", std::move(target)));
}

// A plain TCP connection to 127.0.0.1:port (blocking POSIX socket with timeouts).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  bool ok() const { return fd_ >= 0; }
  bool Send(std::string_view bytes);
  // Everything until the peer closes or `timeout` passes.
  std::string ReadAll(std::chrono::milliseconds timeout);
  // Whether the peer has closed the connection (EOF or reset) within `timeout`.
  bool ClosedByPeer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

std::string Gunzip(std::string_view data);
// "Basic base64(user:password)".
std::string BasicAuthHeader(std::string_view user, std::string_view password);
// A bcrypt ($2b$, cost 4: fast for tests) hash of `password`, made with crypt_r.
std::string BcryptHash(const std::string& password);

}  // namespace handoff::testing
