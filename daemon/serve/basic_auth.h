// HTTP basic auth against bcrypt hashes (basic_auth_users of the web config file: user ->
// "$2b$..." hash, as Prometheus' web config). bcrypt is slow on purpose (tens of ms at cost 10), so the work
// is split: the engine thread parses the header and checks a small cache of recent
// successes; a miss is verified with Verify() on the HTTP server's auth worker thread,
// and Remember() records the success back on the engine thread. Parse, Cached and
// Remember: engine thread; Verify: any thread (users_ never changes; a reload of the
// users makes a new BasicAuth).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/time.h"

namespace handoff {

// Whether a request for `target` needs credentials when users are set: everything but
// the probes /-/healthy and /-/ready, which say nothing but "up" and "ready", so that a
// kubelet or a load balancer can probe without a password.
bool NeedsAuth(std::string_view target);

class BasicAuth {
 public:
  struct Credentials {
    std::string user;
    std::string password;
  };

  // Successes are cached for `cache_ttl`, at most `cache_size` of them (the oldest goes).
  explicit BasicAuth(std::map<std::string, std::string> users, DurationMs cache_ttl = 5 * kMinute,
                     std::size_t cache_size = 64);

  bool enabled() const { return !users_.empty(); }

  // "Basic <base64(user:password)>"; nullopt when absent or malformed.
  static std::optional<Credentials> Parse(std::string_view authorization);

  bool Cached(const Credentials& credentials, TimeMs now) const;
  // bcrypt through crypt_r. An unknown user costs the same as a known one.
  bool Verify(const Credentials& credentials) const;
  void Remember(const Credentials& credentials, TimeMs now);

 private:
  using Digest = std::array<unsigned char, 32>;  // SHA-256(user \0 password): no plaintext kept
  static Digest DigestOf(const Credentials& credentials);

  std::map<std::string, std::string> users_;
  DurationMs cache_ttl_;
  std::size_t cache_size_;
  std::map<Digest, TimeMs> cache_;  // -> when verified
};

}  // namespace handoff
