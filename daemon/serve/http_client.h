// One GET to another member's API (group answers: group_fanout.h), asynchronous on the
// engine's io_context: resolve, connect, TLS for https:// (the peer's certificate checked
// against the system's trust store, which SSL_CERT_FILE and SSL_CERT_DIR can replace,
// and its host name), send, read. The
// whole exchange has one deadline. Asio and Beast stay in http_client.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "handlers/result.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace handoff {

struct HttpGetRequest {
  std::string url;            // http://host:port/path?query or https://...
  std::string authorization;  // sent as the Authorization header when not empty
  std::chrono::milliseconds timeout{2'000};
  std::size_t max_body = 64 << 20;  // a larger answer is an error
};

struct HttpGetResult {
  int status = 0;
  std::string body;  // decoded (gzip is never asked for)
};

// Calls `done` once, on the io_context's thread, with the answer or why there is none.
void HttpGet(boost::asio::io_context& io, HttpGetRequest request,
             std::function<void(Result<HttpGetResult>)> done);

}  // namespace handoff
