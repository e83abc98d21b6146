#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "daemon/serve/group_fanout.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio.hpp>

#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"
#include "daemon/serve/host_port.h"
#include "daemon/serve/http_client.h"

namespace handoff {

namespace asio = boost::asio;

GroupFanout::GroupFanout(asio::io_context& io, Lookup lookup, Options options)
    : io_(io),
      lookup_(std::move(lookup)),
      options_(std::move(options)),
      worker_(std::make_unique<asio::thread_pool>(1)),
      alive_(std::make_shared<char>()) {
  asio::post(*worker_, [] { NameThisThread("handoff-members"); });
}

GroupFanout::~GroupFanout() {
  alive_.reset();  // a lookup that ends now touches nothing
  worker_->join();
}

void GroupFanout::Members(std::function<void(const std::vector<std::string>&)> then) {
  const bool stale =
      !fetched_ || std::chrono::steady_clock::now() - fetched_at_ >= options_.max_age;
  if (stale && !looking_up_) ReadMembers();
  // Only the first answer waits for a lookup; later ones take the last list known and
  // never wait for Kafka.
  if (fetched_) return then(members_);
  waiting_.push_back(std::move(then));
}

void GroupFanout::ReadMembers() {
  looking_up_ = true;
  asio::post(*worker_, [this, alive = std::weak_ptr<char>(alive_)] {
    auto found = lookup_();
    asio::post(io_, [this, alive, found = std::move(found)] {
      if (alive.expired()) return;
      looking_up_ = false;
      fetched_ = true;
      fetched_at_ = std::chrono::steady_clock::now();  // a failure waits max_age too
      if (!found) {
        // The last list known (possibly none) stands; the answers say why it may be old.
        lookup_error_ = found.error().message;
        LogWarn("cannot read the group's members from the state topic",
                {{"error", *lookup_error_}});
      } else {
        lookup_error_.reset();
        std::vector<std::string> others;
        for (const std::string& url : *found) {
          if (url != options_.self_url && !url.empty() &&
              std::find(others.begin(), others.end(), url) == others.end()) {
            others.push_back(url);
          }
        }
        if (others != members_) {
          std::string list;
          for (const std::string& url : others) list += (list.empty() ? "" : ",") + url;
          LogInfo("other members of the group", {{"members", list}});
        }
        members_ = std::move(others);
      }
      for (auto& waiter : std::exchange(waiting_, {})) waiter(members_);
    });
  });
}

void GroupFanout::Ask(std::string target, std::string authorization, Done done) {
  Members([this, target = std::move(target), authorization = std::move(authorization),
           done = std::move(done)](const std::vector<std::string>& members) {
    struct Gathering {
      std::vector<MemberAnswer> answers;
      std::size_t outstanding = 0;
      Done done;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->answers.resize(members.size());
    gathering->outstanding = members.size();
    gathering->done = done;
    if (lookup_error_) {  // the members may be more than these: say so in the answer
      MemberAnswer unknown;
      unknown.url = "(the members in the state topic)";
      unknown.error = "cannot read them: " + *lookup_error_;
      gathering->done = [done, unknown](std::vector<MemberAnswer> answers) {
        answers.push_back(unknown);
        done(std::move(answers));
      };
    }
    if (members.empty()) return gathering->done({});
    for (std::size_t i = 0; i < members.size(); ++i) {
      gathering->answers[i].url = members[i];
      HttpGetRequest request{.url = members[i] + target,
                             .authorization = authorization,
                             .timeout = options_.timeout};
      HttpGet(io_, std::move(request), [gathering, i](Result<HttpGetResult> result) {
        MemberAnswer& answer = gathering->answers[i];
        if (result) {
          answer.status = result->status;
          answer.body = std::move(result->body);
        } else {
          answer.error = result.error().message;
          LogWarn("a member of the group did not answer",
                  {{"member", answer.url}, {"error", *answer.error}});
        }
        if (--gathering->outstanding == 0) gathering->done(std::move(gathering->answers));
      });
    }
  });
}

namespace {

// The host's first non-loopback address (IPv4 before IPv6), or its name.
std::string ReachableHost() {
  std::string v4;
  std::string v6;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr) continue;
      const int family = a->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      char text[NI_MAXHOST];
      socklen_t size = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      if (getnameinfo(a->ifa_addr, size, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) {
        continue;
      }
      boost::system::error_code ec;
      auto address = asio::ip::make_address(text, ec);
      if (ec || address.is_loopback() ||
          (address.is_v6() && address.to_v6().is_link_local())) {
        continue;
      }
      if (family == AF_INET && v4.empty()) v4 = text;
      if (family == AF_INET6 && v6.empty()) v6 = "[" + std::string(text) + "]";
    }
    freeifaddrs(list);
  }
  if (!v4.empty()) return v4;
  if (!v6.empty()) return v6;
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

std::string AdvertiseUrl(const std::string& advertise_url, const std::string& bound, bool tls) {
  if (!advertise_url.empty()) return advertise_url;
  auto [host, port] = SplitHostPort(bound).value_or(std::make_pair(std::string(), std::string()));
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    host = ReachableHost();
  } else if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return (tls ? "https://" : "http://") + host + ":" + port;
}

}  // namespace handoff
