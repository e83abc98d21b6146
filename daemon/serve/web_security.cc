#include "daemon/serve/web_security.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include "daemon/host/logger.h"

namespace handoff {
namespace {

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

int VersionOf(TlsVersion version) {
  return version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

// RequestClientCert and RequireAnyClientCert take whatever certificate comes.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

Result<std::shared_ptr<ssl_ctx_st>> MakeTlsContext(const TlsServerConfig& tls) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return Error{"tls: " + OpenSslError()};
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_options(c, SSL_OP_ALL | SSL_OP_NO_RENEGOTIATION |
                             (tls.prefer_server_cipher_suites ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  SSL_CTX_set_min_proto_version(c, VersionOf(tls.min_version));
  SSL_CTX_set_max_proto_version(c, VersionOf(tls.max_version));
  auto failed = [](const std::string& key, const std::string& file) {
    return Error{"tls_server_config." + key + " " + file + ": " + OpenSslError()};
  };
  if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) {
    return failed("cert_file", tls.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    return failed("key_file", tls.key_file);
  }
  // TLS 1.2 suites; TLS 1.3's are all forward-secret AEAD. By default only those of 1.2
  // that are too (ECDHE with GCM or ChaCha20-Poly1305).
  std::string list;
  for (const std::string& suite : tls.cipher_suites) list += (list.empty() ? "" : ":") + suite;
  if (list.empty()) {
    list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
           "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  }
  if (SSL_CTX_set_cipher_list(c, list.c_str()) != 1) {
    return Error{"tls_server_config.cipher_suites: " + OpenSslError()};
  }
  if (!tls.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr || SSL_CTX_load_verify_locations(c, tls.client_ca_file.c_str(), nullptr) != 1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return failed("client_ca_file", tls.client_ca_file);
    }
    SSL_CTX_set_client_CA_list(c, names);  // sent in the certificate request
  }
  switch (tls.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Session resumption with client certificates needs a context id.
  static constexpr unsigned char kSessionContext[] = "handoffd";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
  return ctx;
}

Result<std::unique_ptr<WebSecurity>> WebSecurity::Create(std::string file,
                                                         WebSecurityConfig fixed) {
  std::unique_ptr<WebSecurity> security(new WebSecurity(std::move(file), std::move(fixed)));
  auto config = security->Read();
  if (!config) return config.error();
  auto active = Build(config.value());
  if (!active) return active.error();
  security->watched_ = std::move(config).value();
  security->fingerprint_ = security->Fingerprint(security->watched_);
  security->active_ = std::move(active).value();
  return security;
}

const WebSecurity::Active& WebSecurity::Refresh() {
  if (Fingerprint(watched_) == fingerprint_) return active_;
  auto config = Read();
  Result<Active> active = config ? Build(config.value()) : Result<Active>(config.error());
  if (!active) {
    // Remember what was seen, so that the same bad files are reported once. A file that
    // parsed is watched with the files it names: a certificate still missing at its new
    // path is picked up when it appears.
    if (config) watched_ = config.value();
    fingerprint_ = Fingerprint(watched_);
    ++rejected_reloads_;
    LogError("web config reload failed; the previous one stays",
             {{"file", file_}, {"error", active.error().message}});
    return active_;
  }
  watched_ = std::move(config).value();
  fingerprint_ = Fingerprint(watched_);
  active_ = std::move(active).value();
  LogInfo("web config reloaded", {{"file", file_}, {"tls", active_.tls ? "on" : "off"},
                                  {"basic_auth_users", std::to_string(watched_.basic_auth_users.size())}});
  return active_;
}

Result<WebSecurityConfig> WebSecurity::Read() const {
  if (file_.empty()) return fixed_;
  auto config = LoadWebConfigFile(file_);
  if (config) return std::move(config).value();
  std::string message;
  for (const ConfigError& error : config.error()) {
    message += (message.empty() ? "" : "; ") + error.ToString();
  }
  return Error{message};
}

Result<WebSecurity::Active> WebSecurity::Build(const WebSecurityConfig& config) {
  Active active;
  if (config.tls) {
    auto tls = MakeTlsContext(*config.tls);
    if (!tls) return tls.error();
    active.tls = std::move(tls).value();
  }
  active.auth = std::make_shared<BasicAuth>(config.basic_auth_users);
  active.headers = config.headers;
  return active;
}

std::vector<std::int64_t> WebSecurity::Fingerprint(const WebSecurityConfig& config) const {
  std::vector<std::string> files;
  if (!file_.empty()) files.push_back(file_);
  if (config.tls) {
    files.insert(files.end(), {config.tls->cert_file, config.tls->key_file, config.tls->client_ca_file});
  }
  std::vector<std::int64_t> print;
  for (const std::string& file : files) {
    struct stat st {};
    if (file.empty() || ::stat(file.c_str(), &st) != 0) {
      print.insert(print.end(), {-1, -1, -1, -1, -1});
      continue;
    }
    print.insert(print.end(), {static_cast<std::int64_t>(st.st_dev), static_cast<std::int64_t>(st.st_ino),
                               static_cast<std::int64_t>(st.st_size), st.st_mtim.tv_sec,
                               st.st_mtim.tv_nsec});
  }
  return print;
}

}  // namespace handoff
