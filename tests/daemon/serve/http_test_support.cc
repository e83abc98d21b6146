#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "tests/daemon/serve/http_test_support.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cstdlib>
#include <future>
#include <iostream>
#include <thread>

namespace handoff::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct TestServer::State {
  State(std::shared_ptr<const Config> config, HttpServerOptions options, Api::Options api_options)
      : host(config), stack(io, host, 0, std::move(options), std::move(api_options)) {}

  asio::io_context io;
  EngineHost host;
  HttpStack stack;
  std::thread thread;
};

TestServer::TestServer(std::shared_ptr<const Config> config, HttpServerOptions options,
                       Api::Options api_options)
    : state_(std::make_unique<State>(std::move(config), std::move(options),
                                     std::move(api_options))) {
  Result<std::string> bound = state_->stack.server.Start();
  if (!bound) {
    std::cerr << "TestServer: " << bound.error().message << "\n";
    std::abort();
  }
  port_ = static_cast<std::uint16_t>(std::stoi(bound->substr(bound->rfind(':') + 1)));
  state_->thread = std::thread([s = state_.get()] {
    auto guard = asio::make_work_guard(s->io);
    s->io.run();
  });
}

TestServer::~TestServer() {
  asio::post(state_->io, [s = state_.get()] {
    s->stack.server.Stop();
    s->io.stop();
  });
  state_->thread.join();
}

void TestServer::OnEngine(const std::function<void(EngineHost&, Metrics&)>& task) {
  std::promise<void> done;
  asio::post(state_->io, [&] {
    task(state_->host, state_->stack.metrics);
    done.set_value();
  });
  done.get_future().wait();
}

std::size_t TestServer::connections() {
  std::size_t count = 0;
  OnEngine([&](EngineHost&, Metrics&) { count = state_->stack.server.connections(); });
  return count;
}

bool TestServer::AwaitConnections(std::size_t count, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Each check is a round trip through the server's loop, which first runs every accept
  // and close queued before it: no sleeping, and no answer older than the loop's state.
  while (connections() != count) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
  return true;
}

Result<std::string> StartOnce(HttpServerOptions options) {
  asio::io_context io;
  HttpServer server(io, std::move(options), [](const HttpRequest&) { return HttpResponse{}; });
  return server.Start();
}

namespace {

template <class Stream>
std::optional<ClientResponse> Exchange(asio::io_context& io, Stream& stream, std::uint16_t port,
                                       const ClientRequest& request) {
  constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  http::request<http::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(request.target);
  message.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  if (request.method == "POST" || request.method == "PUT") message.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  if (request.method == "HEAD") parser.skip(true);
  std::optional<ClientResponse> result;

  auto on_read = [&](beast::error_code ec, std::size_t) {
    if (ec) return;
    const auto& response = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    out.body = response.body();
    result = std::move(out);
  };
  auto on_write = [&](beast::error_code ec, std::size_t) {
    if (ec) return;
    http::async_read(stream, buffer, parser, on_read);
  };
  auto send = [&] { http::async_write(stream, message, on_write); };
  beast::get_lowest_layer(stream).expires_after(request.timeout);
  beast::get_lowest_layer(stream).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        if constexpr (kTls) {
          stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hs) {
            if (!hs) send();
          });
        } else {
          send();
        }
      });
  io.run_for(request.timeout + std::chrono::milliseconds(500));
  return result;
}

}  // namespace

std::optional<ClientResponse> Fetch(std::uint16_t port, const ClientRequest& request) {
  asio::io_context io;
  if (request.tls) {
    ssl::context context(ssl::context::tls_client);
    context.set_verify_mode(ssl::verify_none);  // the test's self-signed certificate
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    return Exchange(io, stream, port, request);
  }
  beast::tcp_stream stream(io);
  return Exchange(io, stream, port, request);
}

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(std::string_view bytes) {
  return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(bytes.size());
}

std::string RawConnection::ReadAll(std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool RawConnection::ClosedByPeer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;  // EOF or reset; data before it is skipped
  }
  return true;
}

std::string Gunzip(std::string_view data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return {};
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

std::string BasicAuthHeader(std::string_view user, std::string_view password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = std::string(user) + ":" + std::string(password);
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) |
                      std::uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return "Basic " + out;
}

std::string BcryptHash(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt) == nullptr) std::abort();
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), salt, data.get());
  if (hash == nullptr || hash[0] == '*') std::abort();
  return hash;
}

}  // namespace handoff::testing
