#include "daemon/serve/http_stack.h"

#include <utility>

namespace handoff {
namespace {

HttpServer::Handler HandlerOf(Api& api, HttpStack::Around around) {
  if (!around) return [&api](const HttpRequest& request) { return api.Handle(request); };
  return [&api, around = std::move(around)](const HttpRequest& request) {
    return around(request, api);
  };
}

// Failed logins count in Metrics (handoff_http_auth_failures_total).
HttpServerOptions CountingAuthFailures(HttpServerOptions options, Metrics& metrics) {
  options.on_auth_failure = [&metrics] { metrics.RecordAuthFailure(); };
  return options;
}

}  // namespace

HttpStack::HttpStack(boost::asio::io_context& io, EngineHost& host, TimeMs start_time,
                     HttpServerOptions server_options, Api::Options api_options,
                     Around around)
    : metrics(host, start_time),
      timeline(TimelineLimits{.retention = host.config().time.retention}),
      api(host, metrics, timeline, std::move(api_options)),
      server(io, CountingAuthFailures(std::move(server_options), metrics),
             HandlerOf(api, std::move(around))) {
  host.AddSink(&metrics);
  host.AddSink(&timeline);
  host.set_attachment(&timeline);  // the timeline moves with each partition's checkpoints
}

}  // namespace handoff
