// The TLS context, basic auth users and extra headers the HTTP server applies, from the
// web config file (--web.config.file, docs/reference/config.md "Web config file") or from
// the deprecated web: keys. The file and every certificate, key and CA file it names are
// watched: Refresh(), called by the server for each new connection, stats them and, when
// one changed, loads them again. A new set that does not load (a bad file, a certificate
// without its new key yet) is logged and the running one stays until the files change
// again. Engine thread only; what active() hands out may be used on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/web_config.h"
#include "daemon/serve/basic_auth.h"
#include "handlers/result.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace handoff {

// An OpenSSL server context for `tls`: certificate chain and key (checked to match),
// protocol versions, TLS 1.2 cipher suites, and client certificates as client_auth says.
Result<std::shared_ptr<ssl_ctx_st>> MakeTlsContext(const TlsServerConfig& tls);

class WebSecurity {
 public:
  struct Active {
    std::shared_ptr<ssl_ctx_st> tls;  // null: plain HTTP
    std::shared_ptr<BasicAuth> auth;  // never null; !auth->enabled(): no auth
    std::vector<std::pair<std::string, std::string>> headers;
  };

  // `file` set: `security` is read from it (and `fixed` ignored); empty: `fixed` applies.
  // Either way the TLS files are watched. Fails when the first load fails.
  static Result<std::unique_ptr<WebSecurity>> Create(std::string file, WebSecurityConfig fixed);

  // Loads again when a watched file changed since the last look; then the active set.
  const Active& Refresh();
  const Active& active() const { return active_; }
  // Loads that failed and were rejected since the start.
  std::uint64_t rejected_reloads() const { return rejected_reloads_; }

 private:
  WebSecurity(std::string file, WebSecurityConfig fixed)
      : file_(std::move(file)), fixed_(std::move(fixed)) {}

  Result<WebSecurityConfig> Read() const;
  static Result<Active> Build(const WebSecurityConfig& config);
  // (device, inode, size, mtime) of the file and of every file `config` names.
  std::vector<std::int64_t> Fingerprint(const WebSecurityConfig& config) const;

  std::string file_;
  WebSecurityConfig fixed_;
  // The one whose files fingerprint_ covers: active_'s, or one rejected since.
  WebSecurityConfig watched_;
  Active active_;
  std::vector<std::int64_t> fingerprint_;
  std::uint64_t rejected_reloads_ = 0;
};

}  // namespace handoff
