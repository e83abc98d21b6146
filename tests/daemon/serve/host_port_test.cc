#include "daemon/serve/host_port.h"

#include <gtest/gtest.h>

#include "daemon/serve/group_fanout.h"

namespace handoff {
namespace {

using HostPort = std::optional<std::pair<std::string, std::string>>;

TEST(SplitHostPort, HostsPortsAndWhatIsNotOne) {
  EXPECT_EQ(SplitHostPort("10.0.3.7:9464"), HostPort({"10.0.3.7", "9464"}));
  EXPECT_EQ(SplitHostPort("[fd00::7]:9464"), HostPort({"fd00::7", "9464"}));
  EXPECT_EQ(SplitHostPort(":9464"), HostPort({"", "9464"}));
  EXPECT_EQ(SplitHostPort("handoffd-0.handoffd:0"), HostPort({"handoffd-0.handoffd", "0"}));
  for (const char* bad : {"9464", "host:", "host:http", "host:70000", "host:-1"}) {
    EXPECT_EQ(SplitHostPort(bad), std::nullopt) << bad;
  }
}

TEST(AdvertiseUrl, TheConfiguredOneElseTheBoundAddressWithItsScheme) {
  EXPECT_EQ(AdvertiseUrl("http://10.0.3.7:9464", "0.0.0.0:9464", false), "http://10.0.3.7:9464");
  EXPECT_EQ(AdvertiseUrl("", "127.0.0.1:41234", false), "http://127.0.0.1:41234");
  EXPECT_EQ(AdvertiseUrl("", "[::1]:9464", true), "https://[::1]:9464");
  // A wildcard becomes an address of this host, never the wildcard itself.
  std::string wildcard = AdvertiseUrl("", "[::]:9464", false);
  EXPECT_TRUE(wildcard.starts_with("http://")) << wildcard;
  EXPECT_TRUE(wildcard.ends_with(":9464")) << wildcard;
  EXPECT_EQ(wildcard.find("[::]"), std::string::npos) << wildcard;
  EXPECT_EQ(wildcard.find("0.0.0.0"), std::string::npos) << wildcard;
}

}  // namespace
}  // namespace handoff
