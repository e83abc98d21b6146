// Test helpers for commands that print reports: read a file whole, and compare two JSON
// documents structurally (key order aside, numbers to the millisecond).
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <simdjson.h>

namespace handoff::testing {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Structural equality; numbers compare to the millisecond. Appends a path on mismatch.
inline bool SameJson(simdjson::dom::element a, simdjson::dom::element b, std::string path,
              std::string& where) {
  if (a.is_number() && b.is_number()) {
    if (std::abs(double(a) - double(b)) < 5e-4) return true;
    where = path + ": " + simdjson::to_string(a) + " != " + simdjson::to_string(b);
    return false;
  }
  if (a.type() != b.type()) {
    where = path + ": " + simdjson::to_string(a) + " != " + simdjson::to_string(b);
    return false;
  }
  switch (a.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object oa = a, ob = b;
      if (oa.size() != ob.size()) {
        where = path + ": " + std::to_string(oa.size()) + " keys != " + std::to_string(ob.size());
        return false;
      }
      for (auto field : oa) {
        simdjson::dom::element other;
        if (ob[field.key].get(other) != simdjson::SUCCESS) {
          where = path + "." + std::string(field.key) + ": missing";
          return false;
        }
        if (!SameJson(field.value, other, path + "." + std::string(field.key), where)) return false;
      }
      return true;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array xa = a, xb = b;
      if (xa.size() != xb.size()) {
        where = path + ": " + std::to_string(xa.size()) + " items != " + std::to_string(xb.size());
        return false;
      }
      for (size_t i = 0; i < xa.size(); ++i) {
        if (!SameJson(xa.at(i), xb.at(i), path + "[" + std::to_string(i) + "]", where)) {
          return false;
        }
      }
      return true;
    }
    default:
      if (simdjson::to_string(a) == simdjson::to_string(b)) return true;
      where = path + ": " + simdjson::to_string(a) + " != " + simdjson::to_string(b);
      return false;
  }
}

// Structural equality of a report with the JSON file `expected`; `where` says what differs.
inline bool SameJsonAsFile(const std::string& actual, const std::filesystem::path& expected,
                           std::string& where) {
  simdjson::dom::parser p1, p2;
  simdjson::dom::element a;
  if (p1.parse(simdjson::padded_string(actual)).get(a) != simdjson::SUCCESS) {
    where = "the report is not JSON";
    return false;
  }
  simdjson::padded_string text;
  simdjson::dom::element b;
  if (simdjson::padded_string::load(expected.string()).get(text) != simdjson::SUCCESS ||
      p2.parse(text).get(b) != simdjson::SUCCESS) {
    where = expected.string() + ": missing or not JSON";
    return false;
  }
  return SameJson(a, b, "$", where);
}

}  // namespace handoff::testing
