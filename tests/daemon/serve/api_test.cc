#include "daemon/serve/api.h"

#include <gtest/gtest.h>

#include "tests/daemon/serve/http_test_config.h"
#include "tests/fakes/journey_builder.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

class ApiTest : public ::testing::Test {
 protected:
  explicit ApiTest(Api::Options options = {})
      : config_(HttpTestConfig()),
        host_(config_),
        metrics_(host_, 0),
        timeline_(TimelineLimits{}),
        api_(host_, metrics_, timeline_, std::move(options)) {
    host_.AddSink(&metrics_);
    host_.AddSink(&timeline_);
    host_.Assign(0);
    host_.Assign(1);
  }

  // The answer, also one the handler defers (the test's reload hook answers at once),
  // with the body a `render` makes.
  HttpResponse Get(std::string target, std::string method = "GET", std::string accept = "",
                   std::string authorization = "") {
    HttpResponse response = api_.Handle(HttpRequest{std::move(method), std::move(target),
                                                    std::move(accept), std::move(authorization)});
    HttpResponse out;
    if (response.defer) {
      response.defer([&](HttpResponse answer) { out = std::move(answer); });
    } else {
      out = std::move(response);
    }
    if (out.render) out.body = out.render();  // as the server's worker does
    return out;
  }

  // Partition 0: o1 breached at 10:30 (gold), o2 breached at 11:00, o3 running (deadline
  // 12:30), o4 paused. Partition 1: o5 breached at 11:00 but its frontier is behind.
  // Frontier of partition 0: 12:00.
  void Feed() {
    TimeMs t = T("2026-11-27T10:00:00Z");
    host_.Offer(0, Requested("r1", t, "o1", "gold"), t);
    host_.Offer(0, Requested("r2", t, "o2"), t);
    host_.Offer(0, Requested("r4", t, "o4"), t);
    host_.Offer(0, OnHold("h4", t + 5 * kMinute, "o4"), t);
    host_.Offer(0, Requested("r3", t + 90 * kMinute, "o3"), t);
    host_.Offer(0, Ev("n0", "order.note", t + 2 * kHour + 5 * kSecond, "zz"), t);
    host_.Offer(1, Requested("r5", t, "o5"), t);
    host_.Offer(1, Ev("n1", "order.note", t + 70 * kMinute + 5 * kSecond, "zy"), t);
  }

  std::shared_ptr<Config> config_;
  EngineHost host_;
  Metrics metrics_;
  TimelineStore timeline_;
  Api api_;
};

TEST_F(ApiTest, InstancesMostOverdueFirstWithExactlyTheContractFields) {
  Feed();
  HttpResponse r = Get("/api/v1/instances");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  // o1: 90 min past (F 12:00 - 10:30); o2: 60; o5: 10 (its partition's F is 11:10);
  // o3: -30 (running); o4 paused (no deadline) last.
  EXPECT_EQ(r.body,
            R"({"instances":[)"
            R"({"sla":"sales_to_ops_accept","key":"o1","cycle":1,"state":"overdue","started_at":"2026-11-27T10:00:00Z","deadline":"2026-11-27T10:30:00Z","breached_at":"2026-11-27T10:30:00Z","elapsed_seconds":7200},)"
            R"({"sla":"sales_to_ops_accept","key":"o2","cycle":1,"state":"overdue","started_at":"2026-11-27T10:00:00Z","deadline":"2026-11-27T11:00:00Z","breached_at":"2026-11-27T11:00:00Z","elapsed_seconds":7200},)"
            R"({"sla":"sales_to_ops_accept","key":"o5","cycle":1,"state":"overdue","started_at":"2026-11-27T10:00:00Z","deadline":"2026-11-27T11:00:00Z","breached_at":"2026-11-27T11:00:00Z","elapsed_seconds":4200},)"
            R"({"sla":"sales_to_ops_accept","key":"o3","cycle":1,"state":"running","started_at":"2026-11-27T11:30:00Z","deadline":"2026-11-27T12:30:00Z","breached_at":null,"elapsed_seconds":1800},)"
            R"({"sla":"sales_to_ops_accept","key":"o4","cycle":1,"state":"paused","started_at":"2026-11-27T10:00:00Z","deadline":null,"breached_at":null,"elapsed_seconds":300}],)"
            R"("matched":5,"limit":100})");
}

// With several members, the answer is the group's: the others are asked for local=1 with
// the client's credentials, and their instances ranked with this member's own.
TEST_F(ApiTest, InstancesOfTheWholeGroup) {
  Feed();
  std::vector<std::pair<std::string, std::string>> asked;
  api_.set_members(
      [&](std::string target, std::string authorization,
          std::function<void(std::vector<MemberAnswer>)> done) {
        asked.emplace_back(target, std::move(authorization));
        if (target.starts_with("/api/v1/orders/")) {
          return done({MemberAnswer{"http://b:9464", std::nullopt, 404, "{}"}});
        }
        done({MemberAnswer{"http://b:9464", std::nullopt, 200,
                           R"({"instances":[{"sla":"sales_to_ops_accept","key":"b1","cycle":1,"state":"overdue","started_at":"2026-11-27T09:00:00Z","deadline":"2026-11-27T09:30:00Z","breached_at":"2026-11-27T09:30:00Z","elapsed_seconds":9000,"overdue_seconds":4500}],"matched":1,"limit":3})"}});
      },
      "http://a:9464");
  HttpResponse r = Get("/api/v1/instances?state=overdue&limit=3", "GET", "", "Basic YTpi");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(asked, (std::vector<std::pair<std::string, std::string>>{
                       {"/api/v1/instances?state=overdue&limit=3&local=1", "Basic YTpi"}}));
  // o1 is 90 min past its deadline, b1 75, o2 60; o5 (10) is cut by the limit.
  EXPECT_EQ(r.body,
            R"({"instances":[)"
            R"({"sla":"sales_to_ops_accept","key":"o1","cycle":1,"state":"overdue","started_at":"2026-11-27T10:00:00Z","deadline":"2026-11-27T10:30:00Z","breached_at":"2026-11-27T10:30:00Z","elapsed_seconds":7200},)"
            R"({"sla":"sales_to_ops_accept","key":"b1","cycle":1,"state":"overdue","started_at":"2026-11-27T09:00:00Z","deadline":"2026-11-27T09:30:00Z","breached_at":"2026-11-27T09:30:00Z","elapsed_seconds":9000},)"
            R"({"sla":"sales_to_ops_accept","key":"o2","cycle":1,"state":"overdue","started_at":"2026-11-27T10:00:00Z","deadline":"2026-11-27T11:00:00Z","breached_at":"2026-11-27T11:00:00Z","elapsed_seconds":7200}],)"
            R"("matched":4,"limit":3,"unreachable":[]})");

  // local=1 is this member's part alone, with what ranks it.
  asked.clear();
  r = Get("/api/v1/instances?state=overdue&limit=1&local=1");
  EXPECT_TRUE(asked.empty());
  EXPECT_NE(r.body.find(R"("elapsed_seconds":7200,"overdue_seconds":5400}],"matched":3,"limit":1})"),
            std::string::npos)
      << r.body;

  // An order no member knows.
  r = Get("/api/v1/orders/o9");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(asked.back().first, "/api/v1/orders/o9?local=1");
}

TEST_F(ApiTest, InstancesFilterAndLimit) {
  Feed();
  HttpResponse r = Get("/api/v1/instances?state=overdue&limit=2");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("key":"o1")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("key":"o2")"), std::string::npos);
  EXPECT_EQ(r.body.find(R"("key":"o5")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("matched":3,"limit":2)"), std::string::npos);
  r = Get("/api/v1/instances?sla=ops_to_fulfillment_ship");
  EXPECT_EQ(r.body, R"({"instances":[],"matched":0,"limit":100})");
  r = Get("/api/v1/instances?sla=sales_to_ops_accept&state=paused");
  EXPECT_NE(r.body.find(R"("matched":1,)"), std::string::npos);
}

TEST_F(ApiTest, InstancesRejectsBadParameters) {
  EXPECT_EQ(Get("/api/v1/instances?state=met").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?limit=0").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?limit=10001").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?limit=ten").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?limit=-1").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?sla=nope").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?sla=%zz").status, 400);
  EXPECT_EQ(Get("/api/v1/instances?sla=nope").body, R"({"error":"unknown sla \"nope\""})");
  EXPECT_EQ(Get("/api/v1/instances?limit=10000").status, 200);
}

TEST_F(ApiTest, OrderTimeline) {
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(0, Requested("r1", t, "order 42/x"), t);
  host_.Offer(0, OnHold("h1", t + kMinute, "order 42/x"), t);
  host_.Offer(0, Released("l1", t + 2 * kMinute, "order 42/x"), t);
  host_.Offer(0, Accepted("a1", t + 2 * kHour, "order 42/x"), t);
  host_.Offer(0, Ev("n", "order.note", t + 3 * kHour, "zz"), t);
  HttpResponse r = Get("/api/v1/orders/order%2042%2Fx");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(
      r.body,
      R"({"key":"order 42/x","truncated":false,"instances":[{"sla":"sales_to_ops_accept","cycle":1,"partition":0,)"
      R"("state":"breached","started_at":"2026-11-27T10:00:00Z","deadline":"2026-11-27T11:01:00Z",)"
      R"("breached_at":"2026-11-27T11:01:00Z","ended_at":"2026-11-27T12:00:00Z","elapsed_seconds":7140,)"
      R"("target_seconds":3600,"as_of":"2026-11-27T12:00:00Z","events":["r1","h1","l1","a1"],)"
      R"("pauses":[{"paused_at":"2026-11-27T10:01:00Z","resumed_at":"2026-11-27T10:02:00Z"}],)"
      R"("decisions":[{"kind":"started","at":"2026-11-27T10:00:00Z","event_id":"r1","state":"running","elapsed_seconds":0},)"
      R"({"kind":"paused","at":"2026-11-27T10:01:00Z","event_id":"h1","state":"paused","elapsed_seconds":60},)"
      R"({"kind":"resumed","at":"2026-11-27T10:02:00Z","event_id":"l1","state":"running","elapsed_seconds":60},)"
      R"({"kind":"warning","at":"2026-11-27T10:31:00Z","threshold":0.5,"state":"running","elapsed_seconds":1800},)"
      R"({"kind":"warning","at":"2026-11-27T10:49:00Z","threshold":0.8,"state":"running","elapsed_seconds":2880},)"
      R"({"kind":"breached","at":"2026-11-27T11:01:00Z","state":"overdue","elapsed_seconds":3600},)"
      R"({"kind":"resolved","at":"2026-11-27T12:00:00Z","event_id":"a1","state":"breached","elapsed_seconds":7140}]}]})");
  EXPECT_EQ(Get("/api/v1/orders/unknown").status, 404);
  EXPECT_EQ(Get("/api/v1/orders/bad%2").status, 400);
  EXPECT_EQ(Get("/api/v1/orders/").status, 404);
}

// A journey instance adds its held time, baton and first late stage, and the stretches
// behind the held time.
TEST(JourneyApi, OrderShowsHeldTimeAndStretches) {
  auto config = std::make_shared<Config>();
  config->slas = JourneySlaList();
  config->kafka.topics = {"orders"};
  config->time.lateness = 1;
  EngineHost host(config);
  Metrics metrics(host, 0);
  TimelineStore timeline(TimelineLimits{});
  Api api(host, metrics, timeline, {});
  host.AddSink(&timeline);
  host.Assign(0);
  TimeMs now = T("2026-12-01T00:00:00Z");
  for (Event& e : OrderB("B")) host.Offer(0, std::move(e), now);
  host.Offer(0, Ev("tick", "order.note", T("2026-12-02T09:00:00Z"), "Z"), now);
  HttpResponse r = api.Handle(HttpRequest{"GET", "/api/v1/orders/B", "", ""});
  ASSERT_EQ(r.status, 200) << r.body;
  // As of the journey's breach at day 2 08:00, its last decision.
  EXPECT_NE(r.body.find(
                R"("as_of":"2026-12-02T08:00:00Z","held_seconds":{"sales":1800,"operations":41400,)"
                R"("fulfillment":43200,"paused":0},"baton":"fulfillment",)"
                R"("first_late_stage":"sales_to_ops_accept","stretches":[)"
                R"({"from":"2026-12-01T08:00:00Z","to":"2026-12-01T08:30:00Z","held_by":"sales"},)"
                R"({"from":"2026-12-01T08:30:00Z","to":"2026-12-01T20:00:00Z","held_by":"operations"},)"
                R"({"from":"2026-12-01T20:00:00Z","to":null,"held_by":"fulfillment"}],)"),
            std::string::npos)
      << r.body;
}

TEST_F(ApiTest, StatusCodes) {
  EXPECT_EQ(Get("/").status, 200);
  EXPECT_EQ(Get("/").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Get("/metrics").status, 200);
  EXPECT_EQ(Get("/metrics").content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(Get("/metrics").compressible);
  ASSERT_TRUE(Get("/metrics").render);
  EXPECT_NE(Get("/metrics").render().find("handoff_build_info{"), std::string::npos);
  HttpResponse open_metrics = Get("/metrics", "GET", "application/openmetrics-text");
  EXPECT_EQ(open_metrics.content_type,
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ASSERT_TRUE(open_metrics.render);
  EXPECT_TRUE(open_metrics.render().ends_with("# EOF\n"));
  EXPECT_EQ(Get("/-/healthy").status, 200);
  EXPECT_EQ(Get("/-/ready").status, 503);
  host_.SetReady(true);
  EXPECT_EQ(Get("/-/ready").status, 200);
  EXPECT_EQ(Get("/-/ready", "HEAD").status, 200);
  EXPECT_EQ(Get("/nope").status, 404);
  EXPECT_EQ(Get("/metrics/").status, 404);
  HttpResponse r = Get("/metrics", "POST");
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>("Allow", "GET, HEAD")));
  EXPECT_EQ(Get("/-/reload", "GET").status, 405);
  EXPECT_EQ(Get("/-/reload", "POST").status, 403);  // no --web.enable-lifecycle
}

class LifecycleApiTest : public ApiTest {
 protected:
  LifecycleApiTest()
      : ApiTest(Api::Options{
            .enable_lifecycle = true,
            .reload = [this](const std::function<void(const Result<std::string>&)>& done) {
              ++reloads_;
              if (fail_) return done(Error{"the old config keeps running"});
              done(std::string("config reloaded"));
            }}) {}
  int reloads_ = 0;
  bool fail_ = false;
};

TEST_F(LifecycleApiTest, ReloadCallsTheHook) {
  HttpResponse r = Get("/-/reload", "POST");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "config reloaded\n");
  fail_ = true;
  r = Get("/-/reload", "PUT");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "the old config keeps running\n");
  EXPECT_EQ(reloads_, 2);
}

TEST(UrlDecode, DecodesEscapesAndRejectsBadOnes) {
  EXPECT_EQ(UrlDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(UrlDecode("a+b", true), "a b");
  EXPECT_EQ(UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(UrlDecode("%4", false), std::nullopt);
  EXPECT_EQ(UrlDecode("%g0", false), std::nullopt);
  EXPECT_EQ(UrlDecode("%", false), std::nullopt);
}

}  // namespace
}  // namespace handoff
