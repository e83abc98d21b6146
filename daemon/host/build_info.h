// What handoffd was built from, for --version and handoff_build_info. The revision is
// written at build time by cmake/revision.cmake, so it follows every commit.
#pragma once

namespace handoff {

extern const char* const kVersion;   // the project version, e.g. "0.1.0"
extern const char* const kRevision;  // the git revision, or "unknown" outside a checkout

}  // namespace handoff
