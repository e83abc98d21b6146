// mock_kafka: librdkafka's mock cluster as a process, the Kafka peer of the integration
// tests (not installed). Creates the topics, writes the bootstrap address to a file
// (atomically, so a poller never reads half of it), then waits for signals:
//   SIGUSR1  every broker goes down (connections dropped, new ones refused)
//   SIGUSR2  every broker comes back
//   SIGHUP   the next produce request fails with an error no retry fixes
//   SIGTERM, SIGINT  exit 0
// Usage: mock_kafka --bootstrap-file FILE [--brokers N] [--topic NAME:PARTITIONS]...
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/demo/demo_cluster.h"

namespace {

int Usage() {
  std::cerr << "usage: mock_kafka --bootstrap-file FILE [--brokers N] "
               "[--topic NAME:PARTITIONS]...\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap_file;
  int brokers = 1;
  std::vector<handoff::DemoCluster::Topic> topics;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string value = argv[++i];
    if (arg == "--bootstrap-file") {
      bootstrap_file = value;
    } else if (arg == "--brokers") {
      brokers = std::atoi(value.c_str());
    } else if (arg == "--topic") {
      auto colon = value.rfind(':');
      if (colon == std::string::npos) return Usage();
      topics.push_back({value.substr(0, colon), std::atoi(value.c_str() + colon + 1)});
    } else {
      return Usage();
    }
  }
  if (bootstrap_file.empty() || brokers < 1) return Usage();

  // Block the signals before librdkafka starts threads, so they all inherit the mask and
  // only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGUSR1, SIGUSR2, SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto cluster = handoff::DemoCluster::Create(brokers, topics);
  if (!cluster) {
    std::cerr << "mock_kafka: " << cluster.error().message << '\n';
    return 2;
  }
  const std::string tmp = bootstrap_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << (*cluster)->bootstrap_servers() << '\n';
    if (!out) {
      std::cerr << "mock_kafka: cannot write " << tmp << '\n';
      return 2;
    }
  }
  if (std::rename(tmp.c_str(), bootstrap_file.c_str()) != 0) {
    std::cerr << "mock_kafka: cannot rename " << tmp << '\n';
    return 2;
  }
  std::cerr << "mock_kafka: listening on " << (*cluster)->bootstrap_servers() << std::endl;

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGUSR1) {
      (*cluster)->SetBrokersDown();
      std::cerr << "mock_kafka: brokers down" << std::endl;
    } else if (signal == SIGUSR2) {
      (*cluster)->SetBrokersUp();
      std::cerr << "mock_kafka: brokers up" << std::endl;
    } else if (signal == SIGHUP) {
      (*cluster)->FailProduceRequests(1);
      std::cerr << "mock_kafka: the next produce request fails" << std::endl;
    } else {
      std::cerr << "mock_kafka: exiting" << std::endl;
      return 0;
    }
  }
}
