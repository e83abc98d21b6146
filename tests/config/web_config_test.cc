// The web config file (exporter-toolkit format): what loads, and every rule's error with
// its position and key.
#include "config/web_config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

constexpr const char* kHash = "$2b$04$abcdefghijklmnopqrstuu4T826PRnz0Hu6YlprUuxkZxOOj5Fw5S";

ConfigErrors ErrorsOfWeb(std::string_view yaml) {
  auto web = LoadWebConfigString(yaml, "web.yml");
  return web ? ConfigErrors{} : web.error();
}

void ExpectOneError(std::string_view yaml, int line, int column, const std::string& key,
                    const std::string& message_part) {
  ConfigErrors errors = ErrorsOfWeb(yaml);
  ASSERT_EQ(errors.size(), 1u) << testing::Dump(errors);
  EXPECT_EQ(errors[0].file, "web.yml");
  EXPECT_EQ(errors[0].line, line) << errors[0].ToString();
  EXPECT_EQ(errors[0].column, column) << errors[0].ToString();
  EXPECT_EQ(errors[0].key, key);
  EXPECT_NE(errors[0].message.find(message_part), std::string::npos) << errors[0].ToString();
}

TEST(WebConfig, LoadsTheExporterToolkitFormat) {
  auto web = LoadWebConfigString(std::string(R"(tls_server_config:
  cert_file: /etc/handoffd/tls.crt
  key_file: /etc/handoffd/tls.key
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: /etc/handoffd/ca.crt
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
http_server_config:
  http2: false
  headers:
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: ')") + kHash + "'\n",
                                 "web.yml");
  ASSERT_TRUE(web.ok()) << testing::Dump(web.error());
  ASSERT_TRUE(web->tls);
  EXPECT_EQ(web->tls->cert_file, "/etc/handoffd/tls.crt");
  EXPECT_EQ(web->tls->client_auth, ClientAuth::kVerifyClientCertIfGiven);
  EXPECT_EQ(web->tls->client_ca_file, "/etc/handoffd/ca.crt");
  EXPECT_EQ(web->tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(web->tls->cipher_suites, std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256"});
  EXPECT_EQ(web->basic_auth_users.at("prometheus"), kHash);
  ASSERT_EQ(web->headers.size(), 1u);
  EXPECT_EQ(web->headers[0].first, "Strict-Transport-Security");
}

TEST(WebConfig, AnEmptyFileMeansPlainHttpWithoutAuth) {
  auto web = LoadWebConfigString("", "web.yml");
  ASSERT_TRUE(web.ok());
  EXPECT_FALSE(web->tls);
  EXPECT_TRUE(web->basic_auth_users.empty());
}

TEST(WebConfig, ACaFileAloneRequiresVerifiedClientCertificates) {
  auto web = LoadWebConfigString("tls_server_config:\n  cert_file: c\n  key_file: k\n"
                                 "  client_ca_file: ca\n",
                                 "web.yml");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->tls->client_auth, ClientAuth::kRequireAndVerifyClientCert);
}

TEST(WebConfig, ReportsEachProblemWithItsPositionAndKey) {
  ExpectOneError("tls_server_config:\n  key_file: k\n", 2, 3, "tls_server_config.cert_file",
                 "required");
  ExpectOneError("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Maybe\n",
                 4, 21, "tls_server_config.client_auth_type", "RequireAndVerifyClientCert");
  ExpectOneError("tls_server_config:\n  cert_file: c\n  key_file: k\n"
                 "  client_auth_type: RequireAndVerifyClientCert\n",
                 4, 21, "tls_server_config.client_auth_type", "client_ca_file");
  ExpectOneError("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS11\n", 4,
                 16, "tls_server_config.min_version", "TLS12, TLS13");
  ExpectOneError("tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: TLS12\n"
                 "  min_version: TLS13\n",
                 4, 16, "tls_server_config.max_version", "below min_version");
  ExpectOneError("tls_server_config:\n  cert_file: c\n  key_file: k\n"
                 "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
                 4, 19, "tls_server_config.cipher_suites[0]", "unknown or insecure");
  ExpectOneError("basic_auth_users:\n  alice: secret\n", 2, 10, "basic_auth_users.alice",
                 "bcrypt");
  ExpectOneError("tls_server_config:\n  cert_file: c\n  key_file: k\n  certfile: x\n", 4, 3,
                 "tls_server_config.certfile", "cert_file");
  ExpectOneError("http_server_config:\n  headers:\n    Server: other\n", 3, 5,
                 "http_server_config.headers.Server", "Strict-Transport-Security");
  ExpectOneError("basic_auth_users: [\n", 2, 1, "", "YAML syntax error");
}

TEST(WebConfig, FileNamesAreRelativeToTheWebConfigFile) {
  auto dir = std::filesystem::temp_directory_path() / "handoff_web_config_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "web.yml") << "tls_server_config:\n  cert_file: tls.crt\n"
                                    "  key_file: /abs/tls.key\n";
  auto web = LoadWebConfigFile((dir / "web.yml").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(web.ok()) << testing::Dump(web.error());
  EXPECT_EQ(web->tls->cert_file, (dir / "tls.crt").string());
  EXPECT_EQ(web->tls->key_file, "/abs/tls.key");
  auto missing = LoadWebConfigFile((dir / "web.yml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error()[0].message.find("cannot read web config file"), std::string::npos);
}

// The deprecated web: keys load and still work, with a warning at each key's position
// that names what replaces it.
TEST(WebConfig, DeprecatedKeysWarn) {
  auto plain = LoadConfigString(testing::kMinimalConfig, "test.yaml", testing::NoEnv());
  ASSERT_TRUE(plain.ok()) << testing::Dump(plain.error());
  EXPECT_TRUE(plain->warnings.empty()) << testing::Dump(plain->warnings);
  auto config = LoadConfigString(
      std::string(testing::kMinimalConfig) +
          "web:\n  tls_cert_file: c\n  tls_key_file: k\n  basic_auth_users:\n    a: \"" + kHash +
          "\"\n",
      "test.yaml", testing::NoEnv());
  ASSERT_TRUE(config.ok()) << testing::Dump(config.error());
  const ConfigErrors& warnings = config->warnings;
  ASSERT_EQ(warnings.size(), 3u) << testing::Dump(warnings);
  EXPECT_EQ(warnings[0].ToString(),
            "test.yaml:16:18: web.tls_cert_file: deprecated and goes in the next release: put "
            "tls_server_config.cert_file in a web config file (--web.config.file)");
  EXPECT_EQ(warnings[1].key, "web.tls_key_file");
  EXPECT_EQ(warnings[2].key, "web.basic_auth_users");
  WebSecurityConfig security = WebSecurityOf(config->web);
  ASSERT_TRUE(security.tls);
  EXPECT_EQ(security.tls->key_file, "k");
  EXPECT_EQ(security.basic_auth_users.size(), 1u);
}

}  // namespace
}  // namespace handoff
