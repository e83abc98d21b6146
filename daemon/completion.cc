#include "daemon/completion.h"

namespace handoff {
namespace {

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

// The case arm that completes the value of the option just typed (`$prev`), per command.
void ValueArms(const CompletionCommand& command, std::string& out) {
  for (const CompletionOption& option : command.options) {
    if (option.name.empty() || !option.takes_value) continue;
    out += "    \"" + command.name + ":" + option.name + "\")\n      ";
    if (!option.values.empty()) {
      out += "COMPREPLY=($(compgen -W \"" + Joined(option.values) + "\" -- \"$cur\"))";
    } else if (option.file) {
      out += "COMPREPLY=($(compgen -f -- \"$cur\"))";
    } else {
      out += "COMPREPLY=()";  // free text: a time, a number, a name
    }
    out += "\n      return ;;\n";
  }
}

// The case arm that completes a word of `command`: its flags, its subcommands at the top
// level, and files where it takes a positional path.
void WordArm(const CompletionCommand& command, const std::vector<CompletionCommand>& commands,
             std::string& out) {
  std::vector<std::string> words;
  bool positional_file = false;
  for (const CompletionOption& option : command.options) {
    if (option.name.empty()) {
      positional_file = positional_file || option.file;
      words.insert(words.end(), option.values.begin(), option.values.end());
    } else {
      words.push_back(option.name);
    }
  }
  if (command.name.empty()) {
    for (const CompletionCommand& sub : commands) {
      if (!sub.name.empty()) words.push_back(sub.name);
    }
  }
  out += "    \"" + command.name + "\")\n      ";
  if (positional_file) {
    out += "if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"" + Joined(words) +
           "\" -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi";
  } else {
    out += "COMPREPLY=($(compgen -W \"" + Joined(words) + "\" -- \"$cur\"))";
  }
  out += " ;;\n";
}

std::string BashScript(const std::vector<CompletionCommand>& commands) {
  std::vector<std::string> names;
  for (const CompletionCommand& command : commands) {
    if (!command.name.empty()) names.push_back(command.name);
  }
  std::string subcommands;
  for (const std::string& name : names) subcommands += (subcommands.empty() ? "" : "|") + name;

  std::string out =
      "# handoffd completion (written by `handoffd completion`; regenerate after an upgrade)\n"
      "_handoffd() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command= i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case ${COMP_WORDS[i]} in\n"
      "      " + subcommands + ") command=${COMP_WORDS[i]}; break ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$command:$prev\" in\n";
  for (const CompletionCommand& command : commands) ValueArms(command, out);
  out += "  esac\n  case \"$command\" in\n";
  for (const CompletionCommand& command : commands) WordArm(command, commands, out);
  out += "  esac\n}\ncomplete -F _handoffd handoffd\n";
  return out;
}

}  // namespace

std::string CompletionScript(std::string_view shell, const std::vector<CompletionCommand>& commands) {
  if (shell == "zsh") {
    return "# zsh runs the bash completion through bashcompinit: source <(handoffd completion zsh)\n"
           "autoload -U +X bashcompinit && bashcompinit\n" +
           BashScript(commands);
  }
  return BashScript(commands);
}

}  // namespace handoff
