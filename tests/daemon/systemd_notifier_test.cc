#include "daemon/systemd_notifier.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace handoff {
namespace {

// A real notify socket, as systemd creates one: a unix datagram socket whose path is
// in NOTIFY_SOCKET for the duration of the test.
class NotifySocket {
 public:
  NotifySocket() {
    path_ = (std::filesystem::temp_directory_path() /
             ("notify-" + std::to_string(::getpid()) + ".sock"))
                .string();
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }

  // The next datagram, or "" after a second.
  std::string Next() {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 1000) != 1) return "";
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SystemdNotifier, SendsEachStateAsADatagram) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound());
  SystemdNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  notifier.Status("restoring 3 partitions");
  EXPECT_EQ(socket.Next(), "STATUS=restoring 3 partitions");
  notifier.Ready();
  EXPECT_EQ(socket.Next(), "READY=1");
  notifier.Watchdog();
  EXPECT_EQ(socket.Next(), "WATCHDOG=1");
  notifier.Stopping();
  EXPECT_EQ(socket.Next(), "STOPPING=1");
  notifier.ExtendTimeout(30 * kSecond);
  EXPECT_EQ(socket.Next(), "EXTEND_TIMEOUT_USEC=30000000");
  EXPECT_EQ(notifier.sent(), 5u);
}

TEST(SystemdNotifier, ReloadingCarriesTheMonotonicTime) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound());
  SystemdNotifier notifier;
  timespec before{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  notifier.Reloading();
  std::string got = socket.Next();
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_TRUE(got.starts_with(prefix)) << got;
  std::uint64_t usec = std::stoull(got.substr(prefix.size()));
  EXPECT_GE(usec, static_cast<std::uint64_t>(before.tv_sec) * 1000000u);
  notifier.Ready();
  EXPECT_EQ(socket.Next(), "READY=1");
}

TEST(SystemdNotifier, StatusStaysOnOneLine) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound());
  SystemdNotifier notifier;
  notifier.Status("config error\nat line 3");
  EXPECT_EQ(socket.Next(), "STATUS=config error at line 3");
}

TEST(SystemdNotifier, NoSocketIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  notifier.Ready();
  notifier.Watchdog();
  EXPECT_EQ(notifier.sent(), 0u);
}

TEST(SystemdNotifier, WatchdogIntervalIsHalfTheTimeout) {
  SystemdNotifier notifier;
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(notifier.WatchdogInterval());
  ::setenv("WATCHDOG_USEC", "20000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(notifier.WatchdogInterval(), 10 * kSecond);
  // Meant for another process (a child of ours, say): not enabled here.
  ::setenv("WATCHDOG_PID", "1", 1);
  EXPECT_FALSE(notifier.WatchdogInterval());
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace handoff
