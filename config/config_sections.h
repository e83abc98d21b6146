// Readers for the sections of the config file that need more than a few keys
// (calendars and SLAs); internal to config/, called by config_loader.cc in this order.
#pragma once

#include <map>
#include <set>
#include <string>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace handoff {

// What later sections may refer to: attribute names (to their index in
// EventFormat::attributes) and every declared calendar name, valid or not (so an SLA
// naming a broken calendar is not reported twice).
struct Declared {
  std::map<std::string, std::size_t> attributes;
  std::set<std::string> calendars;
};

// `calendars:` into config->calendars (and calendar_specs); records names in `declared`.
void ReadCalendars(MapReader& root, Declared* declared, Config* config);

// `slas:` into config->slas, resolving attributes and calendars.
void ReadSlas(MapReader& root, const Declared& declared, Config* config);

}  // namespace handoff
