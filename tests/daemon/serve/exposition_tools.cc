#include "tests/daemon/serve/exposition_tools.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace handoff::testing {
namespace {

// Debian's interpreter: its dist-packages hold python3-prometheus-client.
constexpr const char* kPython = "/usr/bin/python3";

std::filesystem::path TempPath(const std::string& what) {
  static int counter = 0;
  return std::filesystem::temp_directory_path() /
         ("handoff_" + what + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
}

// Runs `command` with "{}" replaced by a file holding `text`: what it writes to stderr and
// (unless the command sends it elsewhere) stdout, then "rc=N\n".
std::string RunOnFile(const std::string& command, const std::string& text) {
  std::filesystem::path path = TempPath("exposition.txt");
  std::ofstream(path, std::ios::binary) << text;
  std::string line = command;
  line.replace(line.find("{}"), 2, path.string());
  FILE* pipe = ::popen(("{ " + line + "; } 2>&1; echo rc=$?").c_str(), "r");
  std::string output = "popen failed";
  if (pipe != nullptr) {
    output.clear();
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe))
      output.append(buf.data(), n);
    ::pclose(pipe);
  }
  std::filesystem::remove(path);
  return output;
}

}  // namespace

bool HavePromtool() { return std::system("promtool --version > /dev/null 2>&1") == 0; }

std::string PromtoolCheckMetrics(const std::string& text_004) {
  return RunOnFile("promtool check metrics < {}", text_004);
}

std::string PromtoolParseOpenMetrics(const std::string& open_metrics) {
  std::filesystem::path blocks = TempPath("blocks");
  std::string output = RunOnFile(
      "promtool tsdb create-blocks-from openmetrics {} " + blocks.string() + " > /dev/null",
      WithTimestamps(open_metrics, 1'700'000'000));
  std::filesystem::remove_all(blocks);
  return output;
}

std::string WithTimestamps(const std::string& text, long long seconds) {
  std::istringstream lines(text);
  std::string out;
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != '#') {
      // Past the name and the label set (quoted values may hold spaces, braces and
      // escaped quotes), then past the value.
      std::size_t i = line.find_first_of("{ ");
      if (i != std::string::npos && line[i] == '{') {
        bool quoted = false;
        for (++i; i < line.size() && (quoted || line[i] != '}'); ++i) {
          if (line[i] == '\\') {
            ++i;
          } else if (line[i] == '"') {
            quoted = !quoted;
          }
        }
        ++i;
      }
      std::size_t value_end = line.find(' ', line.find_first_not_of(' ', i));
      if (value_end == std::string::npos) {
        line += " " + std::to_string(seconds);
      } else if (line.compare(value_end, 2, " #") == 0) {
        line.insert(value_end, " " + std::to_string(seconds));
      }  // else it has a timestamp already
    }
    out += line + "\n";
  }
  return out;
}

bool HavePythonOpenMetricsParser() {
  return std::system((std::string(kPython) +
                      " -c 'import prometheus_client.openmetrics.parser' > /dev/null 2>&1")
                         .c_str()) == 0;
}

std::string PythonParseOpenMetrics(const std::string& open_metrics) {
  return RunOnFile(std::string(kPython) +
                       " -c 'import sys; from prometheus_client.openmetrics.parser import "
                       "text_string_to_metric_families as parse; "
                       "list(parse(open(sys.argv[1], encoding=\"utf-8\").read()))' {}",
                   open_metrics);
}

}  // namespace handoff::testing
