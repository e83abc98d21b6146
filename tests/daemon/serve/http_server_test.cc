#include "daemon/serve/http_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "daemon/serve/basic_auth.h"
#include "daemon/serve/gzip.h"
#include "tests/daemon/serve/http_test_config.h"
#include "tests/daemon/serve/http_test_support.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders
using std::chrono::milliseconds;

HttpServerOptions Loopback() {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  return options;
}

TEST(HttpServer, EveryEndpointOverTheWire) {
  TestServer server(HttpTestConfig(), Loopback());
  auto r = Get(server.port(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("handoff_sla_started_total{"), std::string::npos);
  EXPECT_EQ(r->headers.count("content-encoding"), 0u);

  EXPECT_EQ(Get(server.port(), "/")->status, 200);
  EXPECT_EQ(Get(server.port(), "/")->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(Get(server.port(), "/-/healthy")->status, 200);
  EXPECT_EQ(Get(server.port(), "/-/ready")->status, 503);
  server.OnEngine([](EngineHost& host, Metrics&) { host.SetReady(true); });
  EXPECT_EQ(Get(server.port(), "/-/ready")->status, 200);
  EXPECT_EQ(Get(server.port(), "/api/v1/instances")->status, 200);
  EXPECT_EQ(Get(server.port(), "/api/v1/instances?state=late")->status, 400);
  EXPECT_EQ(Get(server.port(), "/api/v1/orders/o1")->status, 404);
  EXPECT_EQ(Get(server.port(), "/nothing")->status, 404);

  auto post = Fetch(server.port(), Request("POST", "/metrics"));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->headers["allow"], "GET, HEAD");
  EXPECT_EQ(Fetch(server.port(), Request("POST", "/-/reload"))->status,
            403);

  auto head = Fetch(server.port(), Request("HEAD", "/metrics"));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_GT(std::stoul(head->headers["content-length"]), 1000u);
}

// On the server's thread: order-42 starts sales_to_ops_accept at 10:00 and, with the
// frontier moved to 12:00, breaches at 11:00.
void BreachOrder42(TestServer& server) {
  server.OnEngine([](EngineHost& host, Metrics&) {
    TimeMs t = T("2026-11-27T10:00:00Z");
    host.Assign(0);
    host.Offer(0, Requested("r1", t, "order-42"), t);
    host.Offer(0, Ev("n", "order.note", t + 2 * kHour, "zz"), t);
  });
}

TEST(HttpServer, EngineStateIsServedAsItChanges) {
  TestServer server(HttpTestConfig(), Loopback());
  BreachOrder42(server);
  auto instances = Get(server.port(), "/api/v1/instances?state=overdue");
  ASSERT_TRUE(instances);
  EXPECT_NE(instances->body.find(R"("key":"order-42")"), std::string::npos);
  auto order = Get(server.port(), "/api/v1/orders/order-42");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->status, 200);
  EXPECT_NE(order->body.find(R"("kind":"breached")"), std::string::npos);
  auto scrape = Get(server.port(), "/metrics");
  EXPECT_EQ(SampleValue(scrape->body, "handoff_sla_breached_total", {"sla=\"sales_to_ops_accept\""}),
            1.0);
}

TEST(HttpServer, GzipWhenTheClientAsks) {
  TestServer server(HttpTestConfig(), Loopback());
  auto plain = Get(server.port(), "/metrics");
  auto zipped = Fetch(server.port(), Request("GET", "/metrics", {{"Accept-Encoding", "gzip"}}));
  ASSERT_TRUE(plain && zipped);
  EXPECT_EQ(zipped->headers["content-encoding"], "gzip");
  EXPECT_EQ(zipped->headers["vary"], "Accept, Accept-Encoding");
  EXPECT_LT(zipped->body.size(), plain->body.size() / 3);
  std::string body = Gunzip(zipped->body);
  // process_* values move between scrapes; the SLA part does not.
  EXPECT_EQ(body.substr(0, body.find("process_")), plain->body.substr(0, plain->body.find("process_")));
  auto refused = Fetch(server.port(), Request("GET", "/metrics", {{"Accept-Encoding", "gzip;q=0"}}));
  EXPECT_EQ(refused->headers.count("content-encoding"), 0u);
}

// Prometheus' Accept gets OpenMetrics with the exemplar of the breach; curl, browsers
// and anything else get the 0.0.4 text as before. Both gzip when asked.
TEST(HttpServer, AcceptPicksTheMetricsFormat) {
  TestServer server(HttpTestConfig(), Loopback());
  BreachOrder42(server);
  const std::string kPrometheus =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  auto open_metrics = Fetch(server.port(), Request("GET", "/metrics", {{"Accept", kPrometheus}}));
  ASSERT_TRUE(open_metrics);
  EXPECT_EQ(open_metrics->status, 200);
  EXPECT_EQ(open_metrics->headers["content-type"],
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(open_metrics->headers["vary"], "Accept, Accept-Encoding");
  EXPECT_TRUE(open_metrics->body.ends_with("\n# EOF\n"));
  EXPECT_NE(open_metrics->body.find("# TYPE handoff_sla_breached counter\n"), std::string::npos);
  EXPECT_TRUE(
      SampleLine(open_metrics->body, "handoff_sla_breached_total", {"sla=\"sales_to_ops_accept\""})
          .ends_with(" 1.0 # {order=\"order-42\"} 1.0 1795777200.000"))
      << open_metrics->body;

  auto zipped =
      Fetch(server.port(),
            Request("GET", "/metrics", {{"Accept", kPrometheus}, {"Accept-Encoding", "gzip"}}));
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->headers["content-encoding"], "gzip");
  EXPECT_EQ(zipped->headers["content-type"], open_metrics->headers["content-type"]);
  std::string body = Gunzip(zipped->body);
  EXPECT_TRUE(body.starts_with("# TYPE handoff_sla_started counter\n"));
  EXPECT_TRUE(body.ends_with("\n# EOF\n"));

  auto head = Fetch(server.port(), Request("HEAD", "/metrics", {{"Accept", kPrometheus}}));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers["content-type"], open_metrics->headers["content-type"]);

  for (const char* accept :
       {"", "*/*", "text/plain;version=0.0.4", "application/openmetrics-text;version=0.0.1",
        "application/openmetrics-text;q=0,text/plain"}) {
    ClientRequest request = Request("GET", "/metrics");
    if (*accept != '\0') request.headers.emplace_back("Accept", accept);
    auto text = Fetch(server.port(), request);
    ASSERT_TRUE(text) << accept;
    EXPECT_EQ(text->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8") << accept;
    EXPECT_EQ(text->headers["vary"], "Accept, Accept-Encoding");
    EXPECT_EQ(text->body.find("# EOF"), std::string::npos) << accept;
    EXPECT_EQ(text->body.find(" # {"), std::string::npos) << accept;
    EXPECT_NE(text->body.find("# TYPE handoff_sla_breached_total counter\n"), std::string::npos);
  }
}

TEST(AcceptsGzip, ReadsTokensAndQualities) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("x-gzip2"));
}

TEST(HttpServer, OversizedAndMalformedRequestsAreRefused) {
  TestServer server(HttpTestConfig(), Loopback());
  auto big = Fetch(server.port(), Request("GET", "/metrics", {{"X-Big", std::string(9000, 'a')}}));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 431);
  ClientRequest many = Request("GET", "/-/healthy");
  for (int i = 0; i < 80; ++i) many.headers.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(Fetch(server.port(), many)->status, 431);

  RawConnection garbage(server.port());
  ASSERT_TRUE(garbage.ok());
  garbage.Send("THIS IS NOT HTTP\r\n\r\n");
  std::string answer = garbage.ReadAll(milliseconds(3000));
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;

  RawConnection body(server.port());
  body.Send("POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  answer = body.ReadAll(milliseconds(3000));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
}

// A client that sends a request a byte at a time (and then stops) holds one connection,
// never the loop: another client's scrape completes while it is still connected, and the
// read timeout closes it whatever its pace.
TEST(HttpServer, SlowClientDoesNotBlockAnotherScrape) {
  HttpServerOptions options = Loopback();
  options.read_timeout = milliseconds(1500);
  TestServer server(HttpTestConfig(), options);
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.ok());
  for (char c : std::string("GET /metrics HTTP/1.1\r\nHo")) {
    ASSERT_TRUE(slow.Send(std::string(1, c)));
  }
  auto start = std::chrono::steady_clock::now();
  ClientRequest request = Request("GET", "/metrics");
  request.timeout = milliseconds(1000);
  auto scrape = Fetch(server.port(), request);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_FALSE(slow.ClosedByPeer(milliseconds(0)));  // still open while the scrape finished
  // The scrape's connection goes once the server reads its end; the slow one stays.
  EXPECT_TRUE(server.AwaitConnections(1, milliseconds(1000)));
  // Dribbling on does not extend the deadline.
  slow.Send("s");
  EXPECT_TRUE(slow.ClosedByPeer(milliseconds(5000)));
}

// Holds `held` idle connections from this address; then /-/healthy must get 503.
void ExpectBusyWhileHolding(const HttpServerOptions& options, std::size_t held) {
  TestServer server(HttpTestConfig(), options);
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (std::size_t i = 0; i < held; ++i) {
    connections.push_back(std::make_unique<RawConnection>(server.port()));
  }
  ASSERT_TRUE(server.AwaitConnections(held, milliseconds(1000)));
  auto refused = Get(server.port(), "/-/healthy");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
}

TEST(HttpServer, ConnectionsOverTheLimitGet503) {
  HttpServerOptions options = Loopback();
  options.max_connections = 2;
  ExpectBusyWhileHolding(options, 2);
}

// Issue 15: 64 idle connections held every slot for the 10 s read timeout, renewable for
// ever. A connection that has not sent a whole request head by head_timeout is closed,
// idle or dribbling.
TEST(HttpServer, AConnectionWithoutAWholeHeadIsClosedAtTheHeadDeadline) {
  HttpServerOptions options = Loopback();
  options.head_timeout = milliseconds(300);
  options.read_timeout = milliseconds(20'000);
  TestServer server(HttpTestConfig(), options);
  RawConnection idle(server.port());
  RawConnection partial(server.port());
  ASSERT_TRUE(partial.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(idle.ClosedByPeer(milliseconds(3000)));
  EXPECT_TRUE(partial.ClosedByPeer(milliseconds(3000)));
}

TEST(HttpServer, OneClientAddressCannotTakeEverySlot) {
  HttpServerOptions options = Loopback();
  options.max_connections_per_client = 3;
  ExpectBusyWhileHolding(options, 3);
}

// When clients hold every ordinary connection, the reserve still answers Prometheus and
// the probes, and only them.
TEST(HttpServer, ProbesKeepAReserveOfConnections) {
  HttpServerOptions options = Loopback();
  options.max_connections = 4;
  options.reserved_connections = 2;
  TestServer server(HttpTestConfig(), options);
  RawConnection a(server.port()), b(server.port());
  ASSERT_TRUE(server.AwaitConnections(2, milliseconds(1000)));
  EXPECT_EQ(Get(server.port(), "/metrics")->status, 200);
  EXPECT_EQ(Get(server.port(), "/-/healthy")->status, 200);
  EXPECT_EQ(Get(server.port(), "/api/v1/instances")->status, 503);
}

TEST(HttpServer, BasicAuthRejectsMissingAndWrongAndAcceptsRight) {
  HttpServerOptions options = Loopback();
  options.security.basic_auth_users = {{"alice", BcryptHash("s3cret")}};
  TestServer server(HttpTestConfig(), options);

  auto missing = Get(server.port(), "/metrics");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->headers["www-authenticate"], "Basic realm=\"handoffd\", charset=\"UTF-8\"");
  auto with = [&](std::string header) {
    return Fetch(server.port(),
                 Request("GET", "/metrics", {{"Authorization", header}}));
  };
  EXPECT_EQ(with(BasicAuthHeader("alice", "wrong"))->status, 401);
  EXPECT_EQ(with(BasicAuthHeader("mallory", "s3cret"))->status, 401);
  EXPECT_EQ(with("Basic !!!")->status, 401);
  EXPECT_EQ(with("Bearer abc")->status, 401);
  EXPECT_EQ(with(BasicAuthHeader("alice", "s3cret"))->status, 200);
  EXPECT_EQ(with(BasicAuthHeader("alice", "s3cret"))->status, 200);  // from the cache
  EXPECT_EQ(with(BasicAuthHeader("alice", "s3cret "))->status, 401);
  // Every failed login is counted (handoff_http_auth_failures_total); asking for the
  // login prompt without credentials is not a failure.
  std::string scrape;
  server.OnEngine([&](EngineHost&, Metrics& metrics) { scrape = metrics.Scrape(); });
  EXPECT_EQ(SampleValue(scrape, "handoff_http_auth_failures_total"), 5.0);
}

TEST(BasicAuth, ParsesTheHeader) {
  auto c = BasicAuth::Parse(BasicAuthHeader("bob", "pa:ss"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "bob");
  EXPECT_EQ(c->password, "pa:ss");
  EXPECT_TRUE(BasicAuth::Parse("basic " + BasicAuthHeader("a", "b").substr(6)));
  EXPECT_FALSE(BasicAuth::Parse(""));
  EXPECT_FALSE(BasicAuth::Parse("Basic"));
  EXPECT_FALSE(BasicAuth::Parse("Basic bm9jb2xvbg=="));  // "nocolon"
}

TEST(BasicAuth, VerifiesBcryptAndCachesSuccess) {
  BasicAuth auth({{"alice", BcryptHash("s3cret")}}, kMinute, 2);
  BasicAuth::Credentials right{"alice", "s3cret"};
  EXPECT_TRUE(auth.Verify(right));
  EXPECT_FALSE(auth.Verify({"alice", "s3creT"}));
  EXPECT_FALSE(auth.Verify({"bob", "s3cret"}));
  EXPECT_FALSE(auth.Cached(right, 0));
  auth.Remember(right, 0);
  EXPECT_TRUE(auth.Cached(right, kMinute - 1));
  EXPECT_FALSE(auth.Cached(right, kMinute));
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("handoff_tls_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout " +
                          (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() +
                          " > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "openssl could not make a certificate";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(TlsTest, ScrapeOverHttps) {
  HttpServerOptions options = Loopback();
  options.security.tls.emplace();
  options.security.tls->cert_file = (dir_ / "cert.pem").string();
  options.security.tls->key_file = (dir_ / "key.pem").string();
  TestServer server(HttpTestConfig(), options);
  ClientRequest request = Request("GET", "/metrics");
  request.tls = true;
  auto scrape = Fetch(server.port(), request);
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_NE(scrape->body.find("handoff_build_info{"), std::string::npos);
  // Plain HTTP on the TLS port gets no HTTP answer.
  request.tls = false;
  request.timeout = milliseconds(2000);
  auto plain = Fetch(server.port(), request);
  EXPECT_FALSE(plain && plain->status == 200);
}

// TLS 1.2 offers only forward-secret AEAD suites: a client that insists on AES128-SHA or
// AES256-SHA256 (RSA key exchange, CBC) gets no handshake.
TEST_F(TlsTest, Tls12OffersOnlyForwardSecretAeadSuites) {
  HttpServerOptions options = Loopback();
  options.security.tls.emplace();
  options.security.tls->cert_file = (dir_ / "cert.pem").string();
  options.security.tls->key_file = (dir_ / "key.pem").string();
  TestServer server(HttpTestConfig(), options);
  auto handshake = [&](const std::string& cipher) {
    std::string command = "echo | timeout 10 openssl s_client -connect 127.0.0.1:" +
                          std::to_string(server.port()) + " -tls1_2 -cipher " + cipher +
                          " > /dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  };
  EXPECT_TRUE(handshake("ECDHE-RSA-AES128-GCM-SHA256"));
  EXPECT_TRUE(handshake("ECDHE-RSA-CHACHA20-POLY1305"));
  for (const char* weak : {"AES128-SHA", "AES256-SHA256", "ECDHE-RSA-AES128-SHA",
                           "ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256"}) {
    EXPECT_FALSE(handshake(weak)) << weak;
  }
}

TEST(HttpServer, StartReportsBadAddressesAndTlsFiles) {
  for (const char* address : {"nonsense", "127.0.0.1:99999", "127.0.0.1:x", "no.such.host.invalid:1"}) {
    HttpServerOptions options;
    options.listen_address = address;
    EXPECT_FALSE(StartOnce(options).ok()) << address;
  }
  HttpServerOptions options = Loopback();
  options.security.tls.emplace();
  options.security.tls->cert_file = "/nonexistent/cert.pem";
  Result<std::string> missing = StartOnce(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("tls_server_config.cert_file /nonexistent/cert.pem"),
            std::string::npos);
  options = HttpServerOptions();
  options.listen_address = ":0";
  Result<std::string> any = StartOnce(options);
  ASSERT_TRUE(any.ok()) << any.error().message;
  EXPECT_NE(any->find(':'), std::string::npos);
}

}  // namespace
}  // namespace handoff
