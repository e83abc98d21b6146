// The web config file of `--web.config.file`, in the Prometheus exporter-toolkit format
// (docs/reference/config.md "Web config file"): TLS with optional client certificates,
// basic auth users and extra response headers. Loading is pure apart from reading the
// file; errors name file:line:col and key like the main config's. Any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/config_error.h"
#include "handlers/result.h"

namespace handoff {

class MapReader;

// tls_server_config.client_auth_type, named as in Go's crypto/tls.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // verified against client_ca_file when sent
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file
};

enum class TlsVersion { kTls12, kTls13 };

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::string client_ca_file;  // PEM bundle of the CAs client certificates must chain to
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  // TLS 1.2 suites as OpenSSL names, translated from the Go names of the file; empty:
  // the ECDHE AEAD suites only (web_security.cc). TLS 1.3 suites are not configurable
  // (as in Go).
  std::vector<std::string> cipher_suites;
  bool prefer_server_cipher_suites = true;
};

// What the HTTP server applies: from the web config file, or from the deprecated web:
// keys of the main config.
struct WebSecurityConfig {
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash; empty: no auth
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
};

Result<WebSecurityConfig, ConfigErrors> LoadWebConfigFile(const std::string& path);
// `name` is the file name used in errors.
Result<WebSecurityConfig, ConfigErrors> LoadWebConfigString(std::string_view yaml,
                                                            const std::string& name);

// The deprecated web.tls_cert_file, web.tls_key_file and web.basic_auth_users as a
// WebSecurityConfig.
WebSecurityConfig WebSecurityOf(const WebConfig& web);

// A map of user -> bcrypt hash (web.basic_auth_users, basic_auth_users): reports values
// that are not bcrypt hashes. Internal to config/ (the main config's loader uses it too).
void ReadBasicAuthUsers(MapReader& users, std::map<std::string, std::string>* out);

}  // namespace handoff
