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

}  // namespace

HttpStack::HttpStack(boost::asio::io_context& io, EngineHost& host, TimeMs start_time,
                     HttpServerOptions server_options, Api::Options api_options,
                     Around around)
    : metrics(host, start_time),
      timeline(TimelineLimits{.retention = host.config().time.retention}),
      api(host, metrics, timeline, std::move(api_options)),
      server(io, std::move(server_options), HandlerOf(api, std::move(around))) {
  host.AddSink(&metrics);
  host.AddSink(&timeline);
}

}  // namespace handoff
