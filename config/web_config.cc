#include "config/web_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "config/yaml_reader.h"

namespace handoff {
namespace {

// $2a$, $2b$ or $2y$, a two-digit cost, then 53 characters of bcrypt's base64.
bool IsBcryptHash(std::string_view hash) {
  if (hash.size() != 60 ||
      !(hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$"))) {
    return false;
  }
  auto base64 = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/';
  };
  return std::isdigit(static_cast<unsigned char>(hash[4])) &&
         std::isdigit(static_cast<unsigned char>(hash[5])) && hash[6] == '$' &&
         std::all_of(hash.begin() + 7, hash.end(), base64);
}

// The TLS 1.2 suites Go's crypto/tls offers (its names, as the exporter toolkit takes
// them) and OpenSSL's names for them.
constexpr std::pair<std::string_view, std::string_view> kCipherSuites[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
};

const std::vector<std::pair<std::string_view, TlsVersion>> kVersions = {
    {"TLS12", TlsVersion::kTls12}, {"TLS13", TlsVersion::kTls13}};

void ReadCipherSuites(MapReader& tls, std::vector<std::string>* out) {
  auto entry = tls.Get("cipher_suites");
  if (!entry) return;
  const std::string path = tls.PathOf("cipher_suites");
  LoadContext& ctx = tls.ctx();
  auto names = ReadStringList(ctx, entry->value, path, /*allow_single=*/false);
  if (!names) return ctx.ErrorAt(entry->value, path, "expected a list of cipher suite names");
  for (std::size_t i = 0; i < names->size(); ++i) {
    const Scalar& name = (*names)[i];
    auto known = std::find_if(std::begin(kCipherSuites), std::end(kCipherSuites),
                              [&](const auto& suite) { return suite.first == name.text; });
    if (known == std::end(kCipherSuites)) {
      ctx.Error(name.origin, path + "[" + std::to_string(i) + "]",
                "unknown or insecure cipher suite \"" + name.text +
                    "\" (use Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
    } else {
      out->emplace_back(known->second);
    }
  }
}

void ReadTlsServerConfig(MapReader& root, std::optional<TlsServerConfig>* out) {
  if (!root.Get("tls_server_config")) return;
  MapReader reader = root.Child("tls_server_config");
  LoadContext& ctx = reader.ctx();
  TlsServerConfig tls;
  ReadNonEmptyString(reader, "cert_file", &tls.cert_file, /*required=*/true);
  ReadNonEmptyString(reader, "key_file", &tls.key_file, /*required=*/true);
  ReadNonEmptyString(reader, "client_ca_file", &tls.client_ca_file);
  // Go's default: a CA file alone asks for verified certificates.
  if (!tls.client_ca_file.empty()) tls.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  ReadChoice<ClientAuth>(reader, "client_auth_type",
                         {{"NoClientCert", ClientAuth::kNoClientCert},
                          {"RequestClientCert", ClientAuth::kRequestClientCert},
                          {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
                          {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
                          {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert}},
                         &tls.client_auth);
  bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                  tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && tls.client_ca_file.empty() && !reader.quiet()) {
    auto type = reader.Get("client_auth_type");
    ctx.Error(type ? LoadContext::OriginOf(type->value) : reader.origin(),
              reader.PathOf("client_auth_type"),
              "verifying client certificates needs client_ca_file");
  }
  ReadChoice(reader, "min_version", kVersions, &tls.min_version);
  ReadChoice(reader, "max_version", kVersions, &tls.max_version);
  if (tls.max_version < tls.min_version) {
    auto max = reader.Get("max_version");
    ctx.Error(max ? LoadContext::OriginOf(max->value) : reader.origin(),
              reader.PathOf("max_version"), "max_version is below min_version");
  }
  ReadCipherSuites(reader, &tls.cipher_suites);
  ReadChoice<bool>(reader, "prefer_server_cipher_suites", {{"true", true}, {"false", false}},
                   &tls.prefer_server_cipher_suites);
  reader.RejectUnknownKeys();
  *out = std::move(tls);
}

void ReadHttpServerConfig(MapReader& root, WebSecurityConfig* web) {
  MapReader reader = root.Child("http_server_config");
  bool http2 = false;
  // Accepted so that a shared file loads; handoffd speaks HTTP/1.1 only.
  ReadChoice<bool>(reader, "http2", {{"true", true}, {"false", false}}, &http2);
  // The security headers the exporter toolkit allows, and no others.
  static const std::vector<std::string> kAllowed = {
      "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
      "X-XSS-Protection", "Content-Security-Policy"};
  MapReader headers = reader.Child("headers");
  for (const MapReader::Entry& entry : headers.Entries()) {
    auto value = headers.ScalarOf(entry);
    if (!value) continue;
    if (std::find(kAllowed.begin(), kAllowed.end(), entry.key) == kAllowed.end()) {
      std::string names;
      for (const std::string& name : kAllowed) names += (names.empty() ? "" : ", ") + name;
      headers.ctx().ErrorAt(entry.key_node, headers.PathOf(entry.key),
                            "not a header handoffd sets (one of: " + names + ")");
      continue;
    }
    web->headers.emplace_back(entry.key, value->text);
  }
  reader.RejectUnknownKeys();
}

}  // namespace

void ReadBasicAuthUsers(MapReader& users, std::map<std::string, std::string>* out) {
  for (const MapReader::Entry& entry : users.Entries()) {
    auto hash = users.ScalarOf(entry);
    if (hash && IsBcryptHash(hash->text)) {
      (*out)[entry.key] = hash->text;
    } else {
      users.ctx().Error(hash ? hash->origin : LoadContext::OriginOf(entry.key_node),
                        users.PathOf(entry.key),
                        "expected a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from `htpasswd -nbBC 10`)");
    }
  }
}

Result<WebSecurityConfig, ConfigErrors> LoadWebConfigString(std::string_view yaml,
                                                            const std::string& name) {
  const EnvLookup no_env = [](const std::string&) { return std::optional<std::string>(); };
  LoadContext ctx(name, no_env);
  WebSecurityConfig web;
  ConfigErrors errors = ReadYamlDocument(ctx, yaml, [&](const YAML::Node& node) {
    MapReader root(ctx, node, "", Origin{}, /*env_overrides=*/false);
    ReadTlsServerConfig(root, &web.tls);
    MapReader users = root.Child("basic_auth_users");
    ReadBasicAuthUsers(users, &web.basic_auth_users);
    ReadHttpServerConfig(root, &web);
    root.RejectUnknownKeys();
  });
  if (errors.empty()) return web;
  return errors;
}

Result<WebSecurityConfig, ConfigErrors> LoadWebConfigFile(const std::string& path) {
  std::string error;
  std::optional<std::string> text = ReadFileText(path, &error);
  if (!text) return ConfigErrors{{path, 0, 0, "", "cannot read web config file: " + error}};
  auto web = LoadWebConfigString(*text, path);
  if (!web || !web.value().tls) return web;
  // Relative file names are relative to the web config file, as in the exporter toolkit.
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  TlsServerConfig& tls = *web.value().tls;
  for (std::string* file : {&tls.cert_file, &tls.key_file, &tls.client_ca_file}) {
    if (!file->empty()) *file = (dir / *file).string();  // an absolute *file stays itself
  }
  return web;
}

WebSecurityConfig WebSecurityOf(const WebConfig& web) {
  WebSecurityConfig security;
  if (!web.tls_cert_file.empty()) {
    security.tls.emplace();
    security.tls->cert_file = web.tls_cert_file;
    security.tls->key_file = web.tls_key_file;
  }
  security.basic_auth_users = web.basic_auth_users;
  return security;
}

}  // namespace handoff
