#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "daemon/serve/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <optional>
#include <openssl/ssl.h>
#include <tuple>

#include "daemon/serve/host_port.h"

namespace handoff {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

using Done = std::function<void(Result<HttpGetResult>)>;

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;  // from the first '/'
};

std::optional<Url> ParseUrl(std::string_view text) {
  Url url;
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.starts_with("https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  std::size_t slash = text.find('/');
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  auto host_port = SplitHostPort(text.substr(0, slash));  // members' URLs name the port
  if (!host_port || host_port->first.empty()) return std::nullopt;
  std::tie(url.host, url.port) = std::move(*host_port);
  return url;
}

// One exchange over `Stream` (a beast::tcp_stream, or TLS over one): each step's handler
// starts the next; any failure ends it with the step that failed.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(asio::io_context& io, Stream stream, Url url, const HttpGetRequest& request,
          Done done)
      : resolver_(io),
        resolve_timer_(io),
        timeout_(request.timeout),
        stream_(std::move(stream)),
        url_(std::move(url)),
        done_(std::move(done)) {
    request_.method(http::verb::get);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host + ":" + url_.port);
    request_.set(http::field::user_agent, "handoffd");
    request_.set(http::field::accept, "application/json");
    request_.set(http::field::connection, "close");
    if (!request.authorization.empty()) {
      request_.set(http::field::authorization, request.authorization);
    }
    parser_.body_limit(request.max_body);
    beast::get_lowest_layer(stream_).expires_after(request.timeout);
  }

  void Start() {
    // The stream's deadline covers connect, TLS, send and read; this one the name lookup.
    resolve_timer_.expires_after(timeout_);
    resolve_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self = this->shared_from_this()](beast::error_code ec,
                                                              tcp::resolver::results_type found) {
                              self->resolve_timer_.cancel();
                              if (ec == asio::error::operation_aborted) {
                                return self->Fail("resolve", beast::error::timeout);
                              }
                              if (ec) return self->Fail("resolve", ec);
                              self->Connect(found);
                            });
  }

 private:
  void Connect(const tcp::resolver::results_type& found) {
    beast::get_lowest_layer(stream_).async_connect(
        found, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->Fail("connect", ec);
          self->Handshake();
        });
  }

  void Handshake() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Send();
    } else {
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Fail("TLS handshake", ec);
                                self->Send();
                              });
    }
  }

  void Send() {
    http::async_write(stream_, request_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->Fail("send", ec);
                        self->Receive();
                      });
  }

  void Receive() {
    http::async_read(stream_, buffer_, parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->Fail("read", ec);
                       auto& response = self->parser_.get();
                       self->Finish(HttpGetResult{static_cast<int>(response.result_int()),
                                                  std::move(response.body())});
                     });
  }

  void Fail(std::string_view step, beast::error_code ec) {
    std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
    Finish(Error{std::string(step) + ": " + why});
  }

  void Finish(Result<HttpGetResult> result) {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    if (done_) std::exchange(done_, nullptr)(std::move(result));
  }

  tcp::resolver resolver_;
  asio::steady_timer resolve_timer_;
  std::chrono::milliseconds timeout_;
  Stream stream_;
  Url url_;
  Done done_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response_parser<http::string_body> parser_;
};

// A client context that checks the peer's chain against the system's trust store (and,
// per connection, its name).
Result<std::shared_ptr<ssl::context>> ClientContext() {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  context->set_verify_mode(ssl::verify_peer, ec);
  if (!ec) context->set_default_verify_paths(ec);
  if (ec) return Error{"TLS trust store: " + ec.message()};
  return context;
}

}  // namespace

void HttpGet(asio::io_context& io, HttpGetRequest request, Done done) {
  auto url = ParseUrl(request.url);
  if (!url) {
    done(Error{"not an http:// or https:// URL"});
    return;
  }
  if (!url->tls) {
    std::make_shared<Session<beast::tcp_stream>>(io, beast::tcp_stream(io), std::move(*url),
                                                 request, std::move(done))
        ->Start();
    return;
  }
  // One context for every request: the trust store is read once, not per member.
  static const Result<std::shared_ptr<ssl::context>> context = ClientContext();
  if (!context) {
    done(context.error());
    return;
  }
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  TlsStream stream(io, **context);
  SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(url->host));
  // The session keeps the context alive as long as the stream that uses it.
  std::make_shared<Session<TlsStream>>(io, std::move(stream), std::move(*url), request,
                                       [context = *context, done = std::move(done)](
                                           Result<HttpGetResult> result) { done(std::move(result)); })
      ->Start();
}

}  // namespace handoff
