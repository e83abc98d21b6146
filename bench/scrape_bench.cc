// /metrics benchmarks (issue #5), with baselines from the same run:
//  1. Serialization: Metrics::Scrape() with 200 SLAs (two warn thresholds each, the
//     default ten histogram buckets, 8 partitions, ~40k open instances), and the same
//     through the HTTP route with gzip. Goal: <= 20 ms.
//  2. Ingest: EngineHost::Offer of pre-decoded events on the engine thread (the real
//     HttpServer's io_context), in batches as the Kafka source posts them, while a client
//     scrapes /metrics (gzip, as Prometheus asks) every second, against the same with no
//     scraping. Six pairs of phases, in the order off-on, on-off, off-on, ... so that a
//     drift of the shared machine's load cancels; the figure is the median of the six
//     pairs' ratios, so that one pair hit by another process's burst does not decide it.
//     Goal: >= 0.95x.
// Run: build/bench/scrape_bench [seconds per phase, default 4]
#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include "daemon/host/engine_host.h"
#include "daemon/serve/api.h"
#include "daemon/serve/gzip.h"
#include "daemon/serve/http_server.h"
#include "daemon/serve/http_stack.h"
#include "daemon/serve/metrics.h"
#include "daemon/serve/timeline_store.h"

namespace handoff {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr TimeMs kBase = 1795773600000;  // 2026-11-27T10:00:00Z
constexpr int kSlas = 200;
constexpr int kPartitions = 8;
constexpr std::int64_t kLagOrders = 30000;  // an order is accepted ~50-70 min after its request
constexpr TimeMs kStep = 50;                // ms of event time between events

std::shared_ptr<Config> BenchConfig() {
  auto config = std::make_shared<Config>();
  for (int i = 0; i < kSlas; ++i) {
    SlaDefinition sla;
    sla.name = "sla_" + std::to_string(i);
    sla.from = "dept_" + std::to_string(i % 20);
    sla.to = "dept_" + std::to_string((i + 1) % 20);
    sla.owner = sla.to;
    sla.start = Condition{.types = {"h" + std::to_string(i) + ".requested"}, .where = {}};
    sla.stop = Condition{.types = {"h" + std::to_string(i) + ".accepted"}, .where = {}};
    sla.target = kHour;
    sla.warn_at = {0.5, 0.8};
    config->slas.push_back(std::move(sla));
  }
  config->kafka.topics = {"orders", "handoffs"};
  return config;
}

// Event j of an endless, time-ordered stream: even j requests order j/2, odd j accepts an
// order requested ~kLagOrders orders earlier.
struct Stream {
  std::int64_t next = 0;
  std::pair<std::int32_t, Event> Next() {
    std::int64_t j = next++;
    std::int64_t order = j / 2;
    if (j % 2 == 1) order -= kLagOrders + (order * 7919) % (kLagOrders / 5);
    if (order < 0) order = j / 2;  // warm-up: accept nothing real yet
    int sla = static_cast<int>(order % kSlas);
    Event event;
    event.id = "e" + std::to_string(j);
    event.type = "h" + std::to_string(sla) + (j % 2 == 0 ? ".requested" : ".accepted");
    event.time = kBase + j * kStep;
    event.key = "order-" + std::to_string(order);
    event.attributes = {std::nullopt, std::nullopt, std::nullopt};
    return {static_cast<std::int32_t>(order % kPartitions), std::move(event)};
  }
};

// GET /metrics over a fresh plain socket; returns the bytes received.
std::size_t Scrape(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::size_t total = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return total;
}

double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct World {
  explicit World(std::shared_ptr<const Config> config)
      : host(config),
        stack(io, host, kBase, Options(), Api::Options{},
              [this](const HttpRequest& request, Api& api) {
          auto start = Clock::now();
          double cpu_start = ThreadCpuUs();
          HttpResponse response = api.Handle(request);
          // The handler's share of the loop: the snapshot; text and gzip are on the worker.
          // Wall time includes being preempted on a busy machine; CPU time does not.
          handler_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
          handler_cpu_us.push_back(ThreadCpuUs() - cpu_start);
          return response;
        }) {
    for (int p = 0; p < kPartitions; ++p) host.Assign(p);
  }
  static HttpServerOptions Options() {
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    return options;
  }

  asio::io_context io;
  EngineHost host;
  HttpStack stack;
  std::vector<double> handler_us;
  std::vector<double> handler_cpu_us;
  double worst_batch_cpu_us[2] = {0, 0};  // the slowest 256-event batch: without, with scraping
};

// Feeds the stream on the engine thread for `seconds`, in batches of 256 posted one after
// another (other handlers, such as a scrape, run between batches). Returns events/s.
double Ingest(World& world, Stream& stream, double seconds, bool scrape, std::uint16_t port,
              int& scrapes) {
  std::atomic<bool> done{false};
  std::atomic<bool> scraper_finished{!scrape};
  std::uint64_t offered = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  std::function<void()> batch = [&] {
    double cpu_start = ThreadCpuUs();
    for (int i = 0; i < 256; ++i) {
      auto [partition, event] = stream.Next();
      world.host.Offer(partition, std::move(event), 0);
    }
    offered += 256;
    double& worst = scrape ? world.worst_batch_cpu_us[1] : world.worst_batch_cpu_us[0];
    worst = std::max(worst, ThreadCpuUs() - cpu_start);
    if (Clock::now() < deadline) {
      asio::post(world.io, batch);
    } else {
      done = true;
    }
  };
  std::thread scraper;
  if (scrape) {
    scraper = std::thread([&] {
      auto next = start + std::chrono::milliseconds(500);
      while (Clock::now() + std::chrono::milliseconds(100) < deadline) {
        std::this_thread::sleep_until(next);
        Scrape(port);
        ++scrapes;
        next += std::chrono::seconds(1);
        if (next > deadline) break;
      }
      scraper_finished = true;
    });
  }
  asio::post(world.io, batch);
  while (!done) world.io.run_one();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  // A scrape still in flight needs the loop to finish.
  while (!scraper_finished) world.io.run_one_for(std::chrono::milliseconds(10));
  if (scraper.joinable()) scraper.join();
  return static_cast<double>(offered) / elapsed;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  using namespace handoff;  // NOLINT: a benchmark's main
  double phase = argc > 1 ? std::atof(argv[1]) : 4.0;
  World world(BenchConfig());
  Result<std::string> bound = world.stack.server.Start();
  if (!bound) {
    std::fprintf(stderr, "cannot listen: %s\n", bound.error().message.c_str());
    return 1;
  }
  auto port = static_cast<std::uint16_t>(std::stoi(bound->substr(bound->rfind(':') + 1)));

  // Warm up: two hours of event time, so instances are open, overdue and closing.
  Stream stream;
  int ignored = 0;
  Ingest(world, stream, 1.0, false, port, ignored);
  while (stream.next < 2 * 3600 * 1000 / kStep) {
    auto [partition, event] = stream.Next();
    world.host.Offer(partition, std::move(event), 0);
  }
  std::size_t open = 0;
  for (int i = 0; i < kSlas; ++i) {
    OpenCounts c = world.host.open_counts(static_cast<std::size_t>(i));
    open += c.running + c.paused + c.overdue;
  }

  // 1. Serialization.
  std::vector<double> scrape_ms, gzip_ms;
  std::size_t text_bytes = 0, gzip_bytes = 0, series = 0;
  std::vector<double> snapshot_ms;
  for (int i = 0; i < 50; ++i) {
    auto start = Clock::now();
    std::function<std::string()> later = world.stack.metrics.ScrapeLater();
    auto snapshot = Clock::now();
    std::string text = later();
    auto mid = Clock::now();
    std::string zipped = Gzip(text);
    auto end = Clock::now();
    snapshot_ms.push_back(std::chrono::duration<double, std::milli>(snapshot - start).count());
    scrape_ms.push_back(std::chrono::duration<double, std::milli>(mid - start).count());
    gzip_ms.push_back(std::chrono::duration<double, std::milli>(end - mid).count());
    text_bytes = text.size();
    gzip_bytes = zipped.size();
    series = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  std::printf("scrape: %d SLAs, %zu open instances, %zu lines, %zu bytes (%zu gzipped)\n", kSlas,
              open, series, text_bytes, gzip_bytes);
  std::printf("  Metrics::Scrape  median %.2f ms  p90 %.2f ms  max %.2f ms   (goal <= 20 ms)\n",
              Percentile(scrape_ms, 0.5), Percentile(scrape_ms, 0.9), Percentile(scrape_ms, 1));
  std::printf("    of which the snapshot (the engine thread's part) median %.2f ms  max %.2f ms\n",
              Percentile(snapshot_ms, 0.5), Percentile(snapshot_ms, 1));
  std::printf("  + gzip (level 1, on the worker) median %.2f ms  max %.2f ms\n",
              Percentile(gzip_ms, 0.5), Percentile(gzip_ms, 1));

  // 2. Ingest with and without a scrape every second.
  double off = 0, on = 0;
  std::vector<double> ratios;
  int scrapes = 0;
  world.handler_us.clear();
  world.handler_cpu_us.clear();
  world.worst_batch_cpu_us[0] = world.worst_batch_cpu_us[1] = 0;
  constexpr int kPairs = 6;
  for (int pair = 0; pair < kPairs; ++pair) {
    double pair_off, pair_on;
    if (pair % 2 == 0) {
      pair_off = Ingest(world, stream, phase, false, port, scrapes);
      pair_on = Ingest(world, stream, phase, true, port, scrapes);
    } else {
      pair_on = Ingest(world, stream, phase, true, port, scrapes);
      pair_off = Ingest(world, stream, phase, false, port, scrapes);
    }
    std::printf("  pair %d: %.0f events/s without scraping, %.0f with: %.3f\n", pair + 1,
                pair_off, pair_on, pair_on / pair_off);
    off += pair_off / kPairs;
    on += pair_on / kPairs;
    ratios.push_back(pair_on / pair_off);
  }
  double ratio = Percentile(ratios, 0.5);
  std::printf("ingest: %.0f events/s without scraping, %.0f events/s with a scrape every second"
              " (%d scrapes); ratio of the means %.3f\n",
              off, on, scrapes, on / off);
  std::printf("  ratio, median of the pairs (the lower middle one) %.3f (lowest %.3f, highest %.3f)"
              "   (goal >= 0.95)\n",
              ratio, Percentile(ratios, 0), Percentile(ratios, 1));
  std::printf("  /metrics handler on the engine thread: median %.2f ms, max %.2f ms wall;"
              " median %.2f ms, max %.2f ms CPU (%zu calls)\n",
              Percentile(world.handler_us, 0.5) / 1000, Percentile(world.handler_us, 1) / 1000,
              Percentile(world.handler_cpu_us, 0.5) / 1000,
              Percentile(world.handler_cpu_us, 1) / 1000, world.handler_us.size());
  std::printf("  slowest 256-event batch (CPU): %.2f ms without scraping, %.2f ms with\n",
              world.worst_batch_cpu_us[0] / 1000, world.worst_batch_cpu_us[1] / 1000);
  if (std::getenv("SCRAPE_BENCH_VERBOSE")) {
    for (double us : world.handler_cpu_us) std::printf("    handler %.3f ms CPU\n", us / 1000);
  }
  // For bench/run: one machine-readable line, last.
  std::printf("{\"scrape_ms\": %.3f, \"scrape_p90_ms\": %.3f, \"scrape_ingest_ratio\": %.3f, "
              "\"scrape_phase_s\": %.1f}\n",
              Percentile(scrape_ms, 0.5), Percentile(scrape_ms, 0.9), ratio, phase);
  world.stack.server.Stop();
  world.io.poll();
  return 0;
}
