#include "daemon/serve/quality_list.h"

#include <cctype>
#include <charconv>

namespace handoff {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The text before the first `separator` (trimmed), and `rest` moved past it.
std::string_view Next(std::string_view& rest, char separator) {
  std::size_t at = rest.find(separator);
  std::string_view item = rest.substr(0, at);
  rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
  return Trim(item);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> QualityElement::Param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

// Quoted strings are taken as they come: no value this server reads holds a comma or a
// semicolon, and a header that splits oddly only loses the oddly split element.
std::vector<QualityElement> ParseQualityList(std::string_view header) {
  std::vector<QualityElement> elements;
  while (!header.empty()) {
    std::string_view item = Next(header, ',');
    QualityElement element;
    element.value = Next(item, ';');
    if (element.value.empty()) continue;
    while (!item.empty()) {
      std::string_view param = Next(item, ';');
      std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view name = Trim(param.substr(0, eq));
      std::string_view value = Trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (EqualsIgnoreCase(name, "q")) {
        double q = 1;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
        if (ec == std::errc() && end == value.data() + value.size() && q >= 0 && q <= 1) {
          element.q = q;
        }
      } else {
        element.params.emplace_back(name, value);
      }
    }
    elements.push_back(std::move(element));
  }
  return elements;
}

}  // namespace handoff
