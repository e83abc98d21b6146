// `handoffd completion bash|zsh`: a shell completion script, written from a description of
// the command line that main builds out of its own CLI definition, so the script cannot
// drift from the flags. zsh gets the bash script through bashcompinit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace handoff {

struct CompletionOption {
  std::string name;                 // "--config"; empty for a positional argument
  bool takes_value = false;
  bool file = false;                // its value (or the positional) is a path
  std::vector<std::string> values;  // its value is one of these
};

struct CompletionCommand {
  std::string name;  // empty: the top level, before any subcommand
  std::vector<CompletionOption> options;
};

// The script for `shell` ("bash" or "zsh"); `commands` holds the top level first.
std::string CompletionScript(std::string_view shell, const std::vector<CompletionCommand>& commands);

}  // namespace handoff
