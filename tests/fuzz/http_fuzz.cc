// libFuzzer target: the bytes a client sends the HTTP server. They are read as the server
// reads them (a Beast request_parser under HttpServerOptions' header and body limits, one
// request after another while the client keeps the connection alive), then each request
// goes through what the server applies to it (the Accept-Encoding check, the probes'
// exemption from auth, BasicAuth::Parse and the credentials cache) and Api::Handle, over
// an EngineHost with journeys and a few orders in it (one key is not UTF-8).
// Properties, beyond "no crash": nothing throws out of Handle and no route throws inside
// it; every status is a real HTTP status; no header can split the response; every body
// is valid UTF-8 and a JSON body is valid JSON; a gzipped body inflates back; a request
// exempt from auth gets a probe's answer only; Handle changes nothing (asked twice, it
// answers the same); parsed credentials survive re-encoding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>
#include <simdjson.h>
#include <zlib.h>

#include "daemon/serve/api.h"
#include "daemon/serve/basic_auth.h"
#include "daemon/serve/gzip.h"
#include "daemon/serve/http_server.h"
#include "tests/fakes/journey_builder.h"
#include "tests/fakes/sla_builder.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace handoff::testing;  // NOLINT: the test builders

// A broken property: says which, with the request's target, so a crash log reads alone.
[[noreturn]] void Fail(const char* what, std::string_view target, std::string_view detail = {}) {
  std::fprintf(stderr, "http_fuzz: %s\n  target: %.*s\n  detail: %.*s\n", what,
               static_cast<int>(target.size()), target.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// RFC 3629 well-formedness: no overlong forms, surrogates or code points past U+10FFFF.
// Written apart from handlers/json_writer.cc's, so that a bug there is not copied here.
bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((b & 0xE0) == 0xC0) {
      n = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4;
      cp = b & 0x07;
    } else {
      return false;  // a continuation byte first, or 0xF8..0xFF
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kSmallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// The inverse of Gzip, or nullopt when `zipped` is not one whole gzip member.
std::optional<std::string> Gunzip(std::string_view zipped) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;
  std::string out;
  char buf[4096];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zipped.data()));
  z.avail_in = static_cast<uInt>(zipped.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The client's bytes as a SyncReadStream: all of them, then the end of the stream.
class ClientBytes {
 public:
  explicit ClientBytes(std::string_view bytes) : bytes_(bytes) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    if (bytes_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    std::size_t n =
        boost::asio::buffer_copy(buffers, boost::asio::buffer(bytes_.data(), bytes_.size()));
    bytes_.remove_prefix(n);
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
};

// The daemon's side: journeys (docs/accountability.md's example) on two partitions, orders
// A, B and C, an order whose key is not UTF-8 and one with a space and a slash, and a
// lifecycle API whose reload answers at once. Handle only reads it, so it is built once.
struct Daemon {
  Daemon()
      : config(MakeConfig()),
        host(config),
        metrics(host, 0),
        timeline(handoff::TimelineLimits{}),
        api(host, metrics, timeline,
            handoff::Api::Options{
                .enable_lifecycle = true,
                .reload =
                    [](std::function<void(const handoff::Result<std::string>&)> done) {
                      done(std::string("config reloaded"));
                    },
                .default_limit = 100,
                .max_limit = 10'000}) {
    host.AddSink(&metrics);
    host.AddSink(&timeline);
    host.Assign(0);
    host.Assign(1);
    const handoff::TimeMs now = T("2026-12-01T00:00:00Z");
    for (handoff::Event& e : OrderA("A", "credit_check")) host.Offer(0, std::move(e), now);
    for (handoff::Event& e : OrderB("B")) host.Offer(0, std::move(e), now);
    for (handoff::Event& e : OrderC("\xFF\xFE")) host.Offer(1, std::move(e), now);
    for (handoff::Event& e : OrderC("order 42/x")) host.Offer(1, std::move(e), now);
    host.Offer(0, Ev("tick0", "order.note", T("2026-12-02T09:00:00Z"), "Z"), now);
    host.Offer(1, Ev("tick1", "order.note", T("2026-12-01T12:00:00Z"), "Z"), now);
  }

  static std::shared_ptr<handoff::Config> MakeConfig() {
    auto config = std::make_shared<handoff::Config>();
    config->slas = JourneySlaList();
    config->kafka.topics = {"orders"};
    config->time.lateness = 1;
    return config;
  }

  std::shared_ptr<handoff::Config> config;
  handoff::EngineHost host;
  handoff::Metrics metrics;
  handoff::TimelineStore timeline;
  handoff::Api api;
};

Daemon& TheDaemon() {
  static auto* daemon = new Daemon();  // never destroyed: libFuzzer exits without unwinding
  return *daemon;
}

// Handle's answer, also a deferred one (the reload hook answers at once), and the body
// render() makes on the server's worker (the /metrics scrape).
handoff::HttpResponse Answer(const handoff::HttpRequest& request) {
  handoff::HttpResponse response;
  try {
    response = TheDaemon().api.Handle(request);
  } catch (...) {
    Fail("an exception escaped Api::Handle", request.target);
  }
  if (response.defer) {
    handoff::HttpResponse later;
    bool answered = false;
    response.defer([&](handoff::HttpResponse answer) {
      later = std::move(answer);
      answered = true;
    });
    if (!answered) Fail("a deferred answer never came", request.target);
    response = std::move(later);
  }
  if (response.render) {
    response.body = response.render();
    response.render = nullptr;
  }
  return response;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsFieldValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// What the response must be, whatever the request.
void CheckResponse(const handoff::HttpRequest& request, const handoff::HttpResponse& r,
                   bool accepts_gzip) {
  const std::string& target = request.target;
  if (r.status < 100 || r.status > 599 ||
      http::int_to_status(static_cast<unsigned>(r.status)) == http::status::unknown) {
    Fail("not an HTTP status", target, std::to_string(r.status));
  }
  if (r.status == 500) {  // the reload hook here never fails: a 500 is a route that threw
    Fail("a route threw inside Api::Handle", target, r.body);
  }
  if (r.content_type.empty() || !IsFieldValue(r.content_type)) {
    Fail("bad Content-Type", target, r.content_type);
  }
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || !IsFieldValue(value))
      Fail("a header that splits the response", target, name + ": " + value);
  }
  if (!IsValidUtf8(r.body)) Fail("a body that is not UTF-8", target, r.body);
  if (r.content_type == "application/json") {
    static simdjson::dom::parser parser;
    simdjson::padded_string padded(r.body);
    if (auto doc = parser.parse(padded); doc.error()) {
      Fail("a JSON body that is not JSON", target, r.body);
    }
  }
  if (r.compressible && accepts_gzip) {
    auto back = Gunzip(handoff::Gzip(r.body));
    if (!back || *back != r.body) Fail("gzip does not inflate back to the body", target);
  }
}

// The answers a probe can give: an exemption from auth must not open anything else.
bool IsProbeAnswer(const handoff::HttpResponse& r) {
  return (r.status == 200 && r.body == "handoffd is Healthy.\n") ||
         (r.status == 200 && r.body == "handoffd is Ready.\n") ||
         (r.status == 503 && r.body.starts_with("handoffd is not ready")) ||
         (r.status == 405 && r.body == "Method not allowed\n");
}

// The Authorization header as the server reads it, and the credentials cache.
void CheckAuthorization(std::string_view header, std::string_view target) {
  auto credentials = handoff::BasicAuth::Parse(header);
  if (!credentials) return;
  if (header.size() < 6 || (header[0] | 0x20) != 'b')
    Fail("credentials without \"Basic \"", target);
  if (credentials->user.find(':') != std::string::npos) Fail("a user name with a colon", target);
  auto again =
      handoff::BasicAuth::Parse("Basic " + Base64(credentials->user + ":" + credentials->password));
  if (!again || again->user != credentials->user || again->password != credentials->password) {
    Fail("credentials do not survive re-encoding", target, header);
  }
  // The cache only: Verify (bcrypt, slow by design) is not called, so any hash will do.
  handoff::BasicAuth auth({{"alice", "$2b$04$unused"}}, 5 * handoff::kMinute);
  const handoff::TimeMs now = 1'000'000;
  if (auth.Cached(*credentials, now)) Fail("cached before remembered", target);
  auth.Remember(*credentials, now);
  if (!auth.Cached(*credentials, now)) Fail("not cached once remembered", target);
  if (auth.Cached(*credentials, now + 5 * handoff::kMinute)) Fail("cached past its ttl", target);
  if (auth.Cached({credentials->user, credentials->password + "x"}, now)) {
    Fail("another password is cached", target);
  }
}

// One request the parser accepted, as the server's OnRead and Dispatch take it.
void Serve(const http::request<http::string_body>& request, std::size_t max_header_fields) {
  const std::string_view target = View(request.target());
  if (static_cast<std::size_t>(std::distance(request.begin(), request.end())) > max_header_fields) {
    return;  // 431
  }
  const std::string_view accept_encoding = View(request[http::field::accept_encoding]);
  const bool gzip = handoff::AcceptsGzip(accept_encoding);
  // Another coding changes nothing; a plain "gzip" token always wins.
  if (handoff::AcceptsGzip(std::string(accept_encoding) + ",identity") != gzip ||
      !handoff::AcceptsGzip(std::string(accept_encoding) + ",gzip")) {
    Fail("AcceptsGzip is not monotone", target, accept_encoding);
  }
  CheckAuthorization(View(request[http::field::authorization]), target);

  handoff::HttpRequest in{std::string(request.method_string()), std::string(target),
                          std::string(View(request[http::field::accept])),
                          std::string(View(request[http::field::authorization]))};
  handoff::HttpResponse out = Answer(in);
  // HTTP_FUZZ_TRACE=1 ./http_fuzz <input>: each request and its answer, to read a crash.
  static const bool trace = std::getenv("HTTP_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "%s %s -> %d %s (%zu bytes)%s\n%.200s\n", in.method.c_str(),
                 in.target.c_str(), out.status, out.content_type.c_str(), out.body.size(),
                 gzip ? " gzip" : "", out.body.c_str());
  }
  CheckResponse(in, out, gzip);
  if (!handoff::NeedsAuth(target) && !IsProbeAnswer(out)) {
    Fail("a request exempt from auth got more than a probe's answer", target, out.body);
  }
  // A read changes nothing: the same request gets the same answer (but a scrape, whose
  // process metrics move).
  if (out.content_type.starts_with("text/plain; version=") ||
      out.content_type.starts_with("application/openmetrics-text")) {
    return;
  }
  handoff::HttpResponse again = Answer(in);
  if (again.status != out.status || again.body != out.body) {
    Fail("the same request got another answer", target, out.body + "\n---\n" + again.body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const handoff::HttpServerOptions options;  // the server's default limits
  // Both answers of /-/ready: the only state a request's answer depends on beyond the
  // engines, which stay as built.
  TheDaemon().host.SetReady(size % 2 == 1);
  ClientBytes client(std::string_view(reinterpret_cast<const char*>(data), size));
  beast::flat_buffer buffer;
  // The server answers requests on a connection one after another while it is kept alive;
  // a bound keeps one input's work small.
  for (int served = 0; served < 8; ++served) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(options.max_header_bytes);
    parser.body_limit(options.max_body_bytes);
    beast::error_code ec;
    http::read_header(client, buffer, parser, ec);
    if (!ec && !parser.is_done()) http::read(client, buffer, parser, ec);
    if (ec) return 0;  // 431, 413, 400 or the end of the connection: a fixed answer, then close
    const auto& request = parser.get();
    Serve(request, options.max_header_fields);
    if (!request.keep_alive()) return 0;
  }
  return 0;
}
