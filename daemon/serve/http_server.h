// The one HTTP(S) server of the process (docs/reference/http-api.md): Boost.Beast on the
// engine's io_context, so handlers read engine state without locks and must answer
// quickly. It owns connections, limits, timeouts, TLS, basic auth and gzip; what to answer is the
// Handler's business (daemon/api.h). Construct, Start and Stop on the engine thread.
// Asio and Beast stay in http_server.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/web_config.h"
#include "handlers/result.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace handoff {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, still URL-encoded
  std::string accept;  // the Accept header as sent; empty when there is none
  std::string authorization;  // the Authorization header as sent, passed on to other members
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Allow, ...)
  bool compressible = false;  // gzip it when the client accepts gzip
  // When set, the body is render()'s result, made on the server's worker thread (with the
  // gzip), so a large answer costs the engine thread only the snapshot the handler took.
  // It must not touch engine state: it owns what it needs.
  std::function<std::string()> render;
  // When set, the answer comes later: the server calls defer() at once with a function the
  // handler's work calls, on the engine thread, with the response (`render` aside, which
  // it may set). For work that must not hold the loop (a config reload).
  using Reply = std::function<void(HttpResponse)>;
  std::function<void(Reply)> defer;
};

struct HttpServerOptions {
  std::string listen_address = ":9464";  // host:port; empty host = every interface
  // TLS, basic auth and extra headers; when web_config_file is set they are read from it
  // instead (and read again when it or a file it names changes: web_security.h).
  WebSecurityConfig security;
  std::string web_config_file;

  std::size_t max_connections = 64;      // more are answered 503 and closed
  // Of max_connections, the last ones only serve /metrics, /-/healthy and /-/ready (other
  // requests on them get 503), so the probes still get in while clients hold the rest.
  std::size_t reserved_connections = 8;
  std::size_t max_connections_per_client = 16;  // per remote address; more get 503
  std::uint32_t max_header_bytes = 8192; // request line + headers; else 431
  std::size_t max_header_fields = 64;    // else 431
  std::uint64_t max_body_bytes = 4096;   // else 413
  // From waiting for a request (keep-alive idle included) to having its head; a client
  // that holds a connection without sending one is cut off here, whatever its pace.
  std::chrono::milliseconds head_timeout{3'000};
  // From the head to the whole body; dribbling bytes does not extend it.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{30'000};  // a whole response
  std::chrono::milliseconds tls_handshake_timeout{3'000};
  std::size_t max_pending_auth = 8;      // bcrypt checks queued for the worker; else 503
  std::size_t max_pending_auth_per_client = 2;  // of those, per remote address; else 503
  // Called on the engine thread for each failed login (wrong credentials or a malformed
  // Authorization header; not for a request without one).
  std::function<void()> on_auth_failure;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(boost::asio::io_context& io, HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the web config (TLS files, users), resolves and binds the address and starts accepting. Returns the
  // bound address ("127.0.0.1:41234": port 0 picks a free one), or why it failed.
  Result<std::string> Start();
  // Stops accepting and closes every connection; pending handlers then end with errors.
  void Stop();

  std::size_t connections() const;
  // Whether it serves HTTPS now (after Start).
  bool tls() const;

  struct State;  // Asio and Beast objects, defined (and only usable) in http_server.cc

 private:
  std::shared_ptr<State> state_;
};

}  // namespace handoff
