// Everything that answers HTTP, wired once: Metrics and the TimelineStore as sinks of
// the host (the TimelineStore also as its PartitionAttachment), and the Api behind the HttpServer. The Daemon, scrape_bench and the HTTP
// tests all build this one. Construct, Start and Stop on the engine thread (the
// io_context's); `host` must outlive it.
#pragma once

#include <functional>

#include "daemon/host/engine_host.h"
#include "daemon/serve/api.h"
#include "daemon/serve/http_server.h"
#include "daemon/serve/metrics.h"
#include "daemon/serve/timeline_store.h"

namespace handoff {

struct HttpStack {
  // Runs around the Api's answer (scrape_bench times it); empty: the Api answers alone.
  using Around = std::function<HttpResponse(const HttpRequest&, Api&)>;

  HttpStack(boost::asio::io_context& io, EngineHost& host, TimeMs start_time,
            HttpServerOptions server_options, Api::Options api_options, Around around = {});
  HttpStack(const HttpStack&) = delete;
  HttpStack& operator=(const HttpStack&) = delete;

  Metrics metrics;
  TimelineStore timeline;
  Api api;
  HttpServer server;
};

}  // namespace handoff
