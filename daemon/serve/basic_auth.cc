#include "daemon/serve/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace handoff {
namespace {

// A valid bcrypt hash of a random password: unknown users are verified against it so
// that the answer takes as long as for a known user.
constexpr const char* kDummyHash = "$2b$10$abcdefghijklmnopqrstuu4T826PRnz0Hu6YlprUuxkZxOOj5Fw5S";

std::optional<std::string> DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a dangling sextet is not base64
  return out;
}

}  // namespace

bool NeedsAuth(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  return path != "/-/healthy" && path != "/-/ready";
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users, DurationMs cache_ttl,
                     std::size_t cache_size)
    : users_(std::move(users)), cache_ttl_(cache_ttl), cache_size_(cache_size) {}

std::optional<BasicAuth::Credentials> BasicAuth::Parse(std::string_view authorization) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  auto decoded = DecodeBase64(authorization);
  if (!decoded) return std::nullopt;
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

BasicAuth::Digest BasicAuth::DigestOf(const Credentials& credentials) {
  std::string input = credentials.user;
  input.push_back('\0');
  input += credentials.password;
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return digest;
}

bool BasicAuth::Cached(const Credentials& credentials, TimeMs now) const {
  auto it = cache_.find(DigestOf(credentials));
  return it != cache_.end() && now - it->second < cache_ttl_;
}

bool BasicAuth::Verify(const Credentials& credentials) const {
  auto user = users_.find(credentials.user);
  const std::string& hash = user == users_.end() ? std::string(kDummyHash) : user->second;
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  const char* result = crypt_r(credentials.password.c_str(), hash.c_str(), data.get());
  // crypt_r returns "*0"/"*1" (or nullptr) for an invalid setting; never equal to a hash.
  bool match = result != nullptr && result[0] != '*' && std::strlen(result) == hash.size() &&
               CRYPTO_memcmp(result, hash.data(), hash.size()) == 0;
  return match && user != users_.end();
}

void BasicAuth::Remember(const Credentials& credentials, TimeMs now) {
  if (cache_.size() >= cache_size_) {
    auto oldest = std::min_element(cache_.begin(), cache_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    cache_.erase(oldest);
  }
  cache_[DigestOf(credentials)] = now;
}

}  // namespace handoff
