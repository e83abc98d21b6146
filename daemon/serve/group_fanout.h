// Asking the other members of the group (checkpoint.store: kafka) for their part of an
// API answer. Who they are comes from the state topic: the newest claim of each partition
// names its owner's API address (web.advertise_url). That lookup blocks, so it runs on
// this class's thread, at most once per `max_age`, and only when an answer needs it; only
// the first answer waits for it, later ones use the last list known while it is read
// again. When the last lookup failed, the answers say so (an unreachable entry). The
// requests go out together on the engine's io_context. Construct and use on the engine
// thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/serve/group_answers.h"
#include "handlers/result.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace handoff {

class GroupFanout {
 public:
  // Blocking: the API address of every member that owns a partition now.
  using Lookup = std::function<Result<std::vector<std::string>>()>;
  using Done = std::function<void(std::vector<MemberAnswer>)>;

  struct Options {
    std::string self_url;  // this member's address: never asked
    std::chrono::milliseconds timeout{2'000};  // per member, the whole request
    std::chrono::milliseconds max_age{5'000};  // of the member list
  };

  GroupFanout(boost::asio::io_context& io, Lookup lookup, Options options);
  ~GroupFanout();
  GroupFanout(const GroupFanout&) = delete;
  GroupFanout& operator=(const GroupFanout&) = delete;

  // GETs `target` (path and query, local=1 included) from every other member, passing
  // `authorization` on; `done` gets one answer per member, on the engine thread.
  void Ask(std::string target, std::string authorization, Done done);

 private:
  // `then` with the other members' addresses, on the engine thread.
  void Members(std::function<void(const std::vector<std::string>&)> then);
  // Reads the members on the worker thread, then answers whoever waits.
  void ReadMembers();

  boost::asio::io_context& io_;
  Lookup lookup_;
  Options options_;
  std::unique_ptr<boost::asio::thread_pool> worker_;
  std::vector<std::string> members_;
  std::chrono::steady_clock::time_point fetched_at_{};
  bool fetched_ = false;     // a lookup has ended (members_ may still be empty)
  bool looking_up_ = false;
  std::optional<std::string> lookup_error_;  // why the last lookup failed
  std::vector<std::function<void(const std::vector<std::string>&)>> waiting_;  // the first lookup
  std::shared_ptr<char> alive_;  // a lookup that ends after the destructor sees it gone
};

// The address other members reach this one at: `advertise_url` when set; else the bound
// listen address (`bound`, "0.0.0.0:9464" or "[::]:9464" for every interface, then the
// host's first non-loopback address instead) with http:// or https:// as `tls` says.
std::string AdvertiseUrl(const std::string& advertise_url, const std::string& bound, bool tls);

}  // namespace handoff
