#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "daemon/serve/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <charconv>
#include <exception>
#include <optional>
#include <unordered_map>

#include "daemon/host/logger.h"
#include "daemon/host/rate_limited_log.h"
#include "daemon/host/thread_name.h"
#include "daemon/serve/basic_auth.h"
#include "daemon/serve/gzip.h"
#include "daemon/serve/host_port.h"
#include "daemon/serve/web_security.h"

namespace handoff {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

TimeMs SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

HttpResponse Plain(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse Unauthorized() {
  HttpResponse response = Plain(401, "Unauthorized\n");
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"handoffd\", charset=\"UTF-8\"");
  return response;
}

// Gzips a compressible body when the client accepts it; either way says that the
// answer varies with Accept-Encoding (added to a Vary the handler set, such as /metrics'
// "Accept"). Leaves the response not compressible (done).
void Compress(HttpResponse& out, bool client_accepts_gzip) {
  if (!out.compressible) return;
  out.compressible = false;
  auto vary = std::find_if(out.headers.begin(), out.headers.end(),
                           [](const auto& header) { return header.first == "Vary"; });
  if (vary == out.headers.end()) {
    out.headers.emplace_back("Vary", "Accept-Encoding");
  } else {
    vary->second += ", Accept-Encoding";
  }
  if (!client_accepts_gzip) return;
  std::string zipped = Gzip(out.body);
  if (zipped.empty()) return;
  out.body = std::move(zipped);
  out.headers.emplace_back("Content-Encoding", "gzip");
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

// Connections, as the server sees them: it closes them all on Stop.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Close() = 0;
};

}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io, HttpServerOptions options, Handler handler)
      : io(io),
        options(std::move(options)),
        handler(std::move(handler)),
        acceptor(io),
        accept_retry(io) {}

  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void RejectBusy(tcp::socket socket);

  asio::io_context& io;
  const HttpServerOptions options;
  const Handler handler;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::unique_ptr<WebSecurity> security;
  // Asio's view of security->active().tls, made again when that changes.
  std::shared_ptr<ssl::context> tls;
  ssl_ctx_st* tls_of = nullptr;
  LogRateLimiter auth_failure_log{10 * kSecond};  // steady ms
  // Response rendering (serializing, gzip) runs here, off the loop.
  std::unique_ptr<asio::thread_pool> worker;
  // bcrypt checks run here: a password-guessing flood keeps this thread busy, never the
  // one that renders scrapes.
  std::unique_ptr<asio::thread_pool> auth_worker;
  std::size_t pending_auth = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  struct Client {
    std::size_t connections = 0;
    std::size_t pending_auth = 0;
  };
  std::unordered_map<std::string, Client> clients;  // by remote address, while connected
  std::uint64_t next_connection = 0;
  bool stopped = false;
};

namespace {

// One connection: read a request (bounded by size and time), answer it, repeat while the
// client keeps it alive. Every completion handler holds a shared_ptr to the session and
// to the server state, so both outlive whatever the io_context still has queued.
template <class Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<HttpServer::State> server, std::uint64_t id, std::string client,
          bool probes_only, Stream stream)
      : server_(std::move(server)),
        id_(id),
        client_(std::move(client)),
        probes_only_(probes_only),
        stream_(std::move(stream)) {}
  ~Session() override {
    server_->connections.erase(id_);
    auto it = server_->clients.find(client_);
    if (it != server_->clients.end() && --it->second.connections == 0) server_->clients.erase(it);
  }

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(server_->options.tls_handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  void Close() override {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Read() {
    const HttpServerOptions& options = server_->options;
    parser_.emplace();
    parser_->header_limit(options.max_header_bytes);
    parser_->body_limit(options.max_body_bytes);
    // A short deadline for the head, idle time included: dribbling bytes does not extend it.
    Lowest().expires_after(options.head_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnHead(ec);
                            });
  }

  void OnHead(beast::error_code ec) {
    if (ec || parser_->is_done()) return OnRead(ec);
    Lowest().expires_after(server_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->OnRead(ec);
                     });
  }

  // The paths a reserved connection serves: what Prometheus and probes need (the probes
  // are the paths that need no credentials).
  static bool IsProbe(std::string_view target) {
    return !NeedsAuth(target) || target.substr(0, target.find('?')) == "/metrics";
  }

  void OnRead(beast::error_code ec) {
    if (server_->stopped) return Close();
    if (ec == http::error::header_limit) return Reply(Plain(431, "Request headers too large\n"), true);
    if (ec == http::error::body_limit) return Reply(Plain(413, "Request body too large\n"), true);
    if (ec && ec.category() == beast::error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Reply(Plain(400, "Bad request\n"), true);  // the bytes were not HTTP
    }
    if (ec) return Shutdown();  // closed, reset or timed out: nobody to answer

    const auto& request = parser_->get();
    keep_alive_ = request.keep_alive();
    head_ = request.method() == http::verb::head;
    if (static_cast<std::size_t>(std::distance(request.begin(), request.end())) >
        server_->options.max_header_fields) {
      return Reply(Plain(431, "Too many request header fields\n"), true);
    }
    gzip_ = AcceptsGzip(View(request[http::field::accept_encoding]));
    if (probes_only_ && !IsProbe(View(request.target()))) {
      return Reply(Plain(503, "Too many connections\n"), true);
    }

    const std::shared_ptr<BasicAuth>& auth = server_->security->active().auth;
    if (auth->enabled() && NeedsAuth(View(request.target()))) {
      std::string_view header = View(request[http::field::authorization]);
      auto credentials = BasicAuth::Parse(header);
      if (!credentials) {
        // No header is how a browser asks for the login prompt; a bad one is a failure.
        if (header.empty()) return Reply(Unauthorized(), false);
        return RefuseCredentials("malformed Authorization header");
      }
      if (!auth->Cached(*credentials, SteadyMs())) return VerifyThenDispatch(auth, std::move(*credentials));
    }
    Dispatch();
  }

  // bcrypt takes tens of milliseconds: it runs on the auth worker, and the answer comes
  // back to the engine thread. The queue is bounded, so guessing passwords costs the
  // guesser, not the engine.
  void VerifyThenDispatch(std::shared_ptr<BasicAuth> auth, BasicAuth::Credentials credentials) {
    HttpServer::State& server = *server_;
    HttpServer::State::Client& client = server.clients[client_];
    if (server.pending_auth >= server.options.max_pending_auth ||
        client.pending_auth >= server.options.max_pending_auth_per_client) {
      return Reply(Plain(503, "Too many authentication attempts in flight\n"), true);
    }
    ++server.pending_auth;
    ++client.pending_auth;
    asio::post(*server.auth_worker, [self = this->shared_from_this(), auth = std::move(auth),
                                     credentials = std::move(credentials)]() mutable {
      bool ok = false;
      try {
        ok = auth->Verify(credentials);
      } catch (...) {  // out of memory: a refusal, never an escape from the worker
      }
      // The session moves back whole: its last reference must drop on the engine thread.
      asio::io_context& io = self->server_->io;
      asio::post(io, [self = std::move(self), auth = std::move(auth),
                      credentials = std::move(credentials), ok] {
        HttpServer::State& server = *self->server_;
        --server.pending_auth;
        --server.clients[self->client_].pending_auth;
        if (server.stopped) return self->Close();
        if (!ok) return self->RefuseCredentials("wrong user or password");
        auth->Remember(credentials, SteadyMs());
        self->Dispatch();
      });
    });
  }

  // A failed login: counted (handoff_http_auth_failures_total), logged at most once per
  // 10 s with how many were held back, and answered 401.
  void RefuseCredentials(std::string_view why) {
    HttpServer::State& server = *server_;
    if (server.options.on_auth_failure) server.options.on_auth_failure();
    if (auto suppressed = server.auth_failure_log.Allow(SteadyMs())) {
      beast::error_code ec;
      tcp::endpoint client = Lowest().socket().remote_endpoint(ec);
      LogWarn("http authentication failed",
              {{"reason", std::string(why)},
               {"client", ec ? std::string("unknown") : FormatEndpoint(client)},
               {"suppressed", std::to_string(*suppressed)}});
    }
    Reply(Unauthorized(), false);
  }

  void Dispatch() {
    const auto& request = parser_->get();
    HttpRequest in{std::string(request.method_string()), std::string(request.target()),
                   std::string(request[http::field::accept]),
                   std::string(request[http::field::authorization])};
    HttpResponse out;
    try {
      out = server_->handler(in);
    } catch (const std::exception& e) {
      LogError("http handler failed", {{"target", in.target}, {"error", e.what()}});
      out = Plain(500, "Internal server error\n");
    } catch (...) {
      LogError("http handler failed", {{"target", in.target}});
      out = Plain(500, "Internal server error\n");
    }
    if (out.defer) {
      auto defer = std::move(out.defer);
      defer([self = this->shared_from_this()](HttpResponse later) {
        if (self->server_->stopped) return self->Close();
        self->Answer(std::move(later));
      });
      return;
    }
    Answer(std::move(out));
  }

  // Writes `out`, made by render() on the worker first when it has one: the handler took
  // its snapshot on the loop; the text and its gzip are made on the worker, and the answer
  // comes back here to be written.
  void Answer(HttpResponse out) {
    if (!out.render) return Reply(std::move(out), false);
    asio::post(*server_->worker, [self = this->shared_from_this(), out = std::move(out),
                                  gzip = gzip_]() mutable {
      try {
        out.body = out.render();
        Compress(out, gzip);
      } catch (...) {
        out = Plain(500, "Internal server error\n");
      }
      out.render = nullptr;
      asio::io_context& io = self->server_->io;
      asio::post(io, [self = std::move(self), out = std::move(out)]() mutable {
        if (self->server_->stopped) return self->Close();
        self->Reply(std::move(out), false);
      });
    });
  }

  void Reply(HttpResponse out, bool close) {
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(out.status));
    response_.set(http::field::server, "handoffd");
    response_.set(http::field::content_type, out.content_type);
    Compress(out, gzip_);
    for (const auto& [name, value] : out.headers) response_.set(name, value);
    for (const auto& [name, value] : server_->security->active().headers) response_.set(name, value);
    response_.keep_alive(keep_alive_ && !close && !server_->stopped);
    if (head_) {
      response_.content_length(out.body.size());  // the size a GET would send
    } else {
      response_.body() = std::move(out.body);
      response_.prepare_payload();
    }
    Lowest().expires_after(server_->options.write_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->Close();
                        if (!self->response_.keep_alive()) return self->Shutdown();
                        self->Read();
                      });
  }

  void Shutdown() {
    if constexpr (kTls) {
      Lowest().expires_after(server_->options.write_timeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Close(); });
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  std::shared_ptr<HttpServer::State> server_;
  std::uint64_t id_;
  std::string client_;  // the remote address
  bool probes_only_;    // admitted into the reserve
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  bool head_ = false;
  bool gzip_ = false;
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;


}  // namespace

void HttpServer::State::Accept() {
  acceptor.async_accept(
      io, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        self->OnAccept(ec, std::move(socket));
      });
}

void HttpServer::State::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors, most likely: try again shortly instead of spinning.
    LogWarn("http accept failed", {{"error", ec.message()}});
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && !self->stopped) self->Accept();
    });
    return;
  }
  const WebSecurity::Active& active = security->Refresh();
  if (active.tls.get() != tls_of) {
    tls_of = active.tls.get();
    tls = nullptr;
    if (tls_of != nullptr) {
      SSL_CTX_up_ref(tls_of);  // the ssl::context owns one reference
      tls = std::make_shared<ssl::context>(tls_of);
    }
  }
  beast::error_code peer_ec;
  std::string client = socket.remote_endpoint(peer_ec).address().to_string();
  auto known = clients.find(client);
  std::size_t client_connections = known == clients.end() ? 0 : known->second.connections;
  if (connections.size() >= options.max_connections ||
      client_connections >= options.max_connections_per_client) {
    RejectBusy(std::move(socket));
  } else {
    std::uint64_t id = next_connection++;
    ++clients[client].connections;
    bool probes_only = connections.size() + std::min(options.reserved_connections,
                                                     options.max_connections) >=
                       options.max_connections;
    if (tls) {
      auto session = std::make_shared<TlsSession>(
          shared_from_this(), id, std::move(client), probes_only,
          beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls));
      connections[id] = session;
      session->Start();
    } else {
      auto session = std::make_shared<PlainSession>(shared_from_this(), id, std::move(client),
                                                    probes_only,
                                                    beast::tcp_stream(std::move(socket)));
      connections[id] = session;
      session->Start();
    }
  }
  Accept();
}

// Over the connection limit: a short 503 written without waiting (a fresh socket's buffer
// always takes it), then close. A TLS client just sees the connection closed.
void HttpServer::State::RejectBusy(tcp::socket socket) {
  beast::error_code ec;
  if (!tls) {
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n"
        "Content-Length: 21\r\n\r\nToo many connections\n";
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
  socket.close(ec);
}

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, Handler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  Stop();
  if (state_->worker) state_->worker->join();
  if (state_->auth_worker) state_->auth_worker->join();
}

Result<std::string> HttpServer::Start() {
  State& s = *state_;
  const HttpServerOptions& options = s.options;
  auto security = WebSecurity::Create(options.web_config_file, options.security);
  if (!security) return security.error();
  s.security = std::move(security).value();
  s.worker = std::make_unique<asio::thread_pool>(1);
  asio::post(*s.worker, [] { NameThisThread("handoff-http"); });
  s.auth_worker = std::make_unique<asio::thread_pool>(1);
  asio::post(*s.auth_worker, [] { NameThisThread("handoff-auth"); });

  auto host_port = SplitHostPort(options.listen_address);
  if (!host_port) {
    return Error{"listen address \"" + options.listen_address + "\" is not host:port"};
  }
  const auto& [host, port] = *host_port;
  std::vector<tcp::endpoint> candidates;
  if (host.empty()) {  // every interface: dual-stack IPv6 where the host has it, else IPv4
    auto number = static_cast<unsigned short>(std::stoi(port));
    candidates = {tcp::endpoint(tcp::v6(), number), tcp::endpoint(tcp::v4(), number)};
  } else {
    beast::error_code ec;
    tcp::resolver resolver(s.io);
    auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
    if (ec) return Error{"listen address " + options.listen_address + ": " + ec.message()};
    for (const auto& entry : results) candidates.push_back(entry.endpoint());
  }
  beast::error_code ec;
  for (const tcp::endpoint& endpoint : candidates) {
    ec = {};
    s.acceptor.close(ec);
    s.acceptor.open(endpoint.protocol(), ec);
    if (ec) continue;
    s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (endpoint.address().is_v6() && host.empty()) s.acceptor.set_option(asio::ip::v6_only(false), ec);
    s.acceptor.bind(endpoint, ec);
    if (ec) continue;
    s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
  }
  if (ec || !s.acceptor.is_open()) {
    return Error{"listen on " + options.listen_address + ": " + ec.message()};
  }
  std::string bound = FormatEndpoint(s.acceptor.local_endpoint(ec));
  s.Accept();
  return bound;
}

void HttpServer::Stop() {
  State& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  beast::error_code ec;
  s.acceptor.close(ec);
  s.accept_retry.cancel();
  for (auto& [_, weak] : s.connections) {
    if (auto connection = weak.lock()) connection->Close();
  }
  if (s.worker) s.worker->stop();
  if (s.auth_worker) s.auth_worker->stop();
}

std::size_t HttpServer::connections() const { return state_->connections.size(); }

bool HttpServer::tls() const {
  return state_->security != nullptr && state_->security->active().tls != nullptr;
}

}  // namespace handoff
