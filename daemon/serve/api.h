// What the HTTP server answers (docs/reference/http-api.md): /metrics, /-/healthy, /-/ready,
// /-/reload, /api/v1/instances, /api/v1/orders/{key} and the index page /. Reads engine
// state directly, so it runs on the engine thread (the server's loop); it never throws.
// Routes, parameters, limits and JSON shapes are documented in docs/reference/http-api.md.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/runtime_flags.h"
#include "daemon/serve/group_answers.h"
#include "daemon/serve/http_server.h"
#include "daemon/serve/metrics.h"
#include "daemon/serve/timeline_store.h"
#include "handlers/result.h"

namespace handoff {

class Api {
 public:
  // POST /-/reload calls this (the same as SIGHUP) with what to call, on the engine thread,
  // once the reload is done. The value is a message for the client; an error answers 500
  // with its message.
  using ReloadHook =
      std::function<void(std::function<void(const Result<std::string>&)> done)>;

  struct Options {
    bool enable_lifecycle = false;  // --web.enable-lifecycle: else /-/reload is 403
    ReloadHook reload;
    std::size_t default_limit = 100;  // /api/v1/instances without limit=
    std::size_t max_limit = 10'000;   // limit= above this is 400
  };

  Api(const EngineHost& host, Metrics& metrics, const TimelineStore& timeline, Options options);

  // With several members in one group: how to ask the others (GroupFanout::Ask) for
  // their part of /api/v1/instances and /api/v1/orders/{key}, and this member's address.
  // Unset, or with local=1 in the query, the answers are this member's own.
  using AskMembers = std::function<void(std::string target, std::string authorization,
                                        std::function<void(std::vector<MemberAnswer>)> done)>;
  void set_members(AskMembers ask, std::string self_url);

  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse Instances(const HttpRequest& request, std::string_view query) const;
  HttpResponse Order(const HttpRequest& request, std::string_view encoded_key,
                     std::string_view query) const;
  HttpResponse Reload();
  // This member's `local` answer when the query asks for it (local=1) or there is no
  // group; else the group's: the other members asked, then `merge` makes the answer of
  // everyone's, this member's first (on the engine thread; it may defer the work to the
  // server's worker with `render`).
  HttpResponse WholeGroup(const HttpRequest& request, const std::map<std::string, std::string>& params,
                          HttpResponse local,
                          std::function<HttpResponse(std::vector<MemberAnswer>)> merge) const;

  const EngineHost& host_;
  Metrics& metrics_;
  const TimelineStore& timeline_;
  Options options_;
  AskMembers ask_members_;
  std::string self_url_;
};

// The server's options from the config's `web:` section and the flags:
// --web.listen-address (when given) wins over web.listen_address, and --web.config.file
// (when given) replaces the deprecated web: TLS and auth keys.
HttpServerOptions WebServerOptions(const WebConfig& web, const RuntimeFlags& flags);

// Percent-decoding of a URL component; with `plus_is_space` (query strings) '+' is a
// space. nullopt for a malformed escape.
std::optional<std::string> UrlDecode(std::string_view text, bool plus_is_space);

}  // namespace handoff
