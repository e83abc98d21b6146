// The gzip content coding of HTTP answers: whether a client accepts it, and the coding
// itself. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace handoff {

// Whether an Accept-Encoding header value accepts gzip (a "gzip" or "*" token whose q is
// not 0).
bool AcceptsGzip(std::string_view accept_encoding);

// The gzip (RFC 1952) form of `data`, at zlib's fastest level.
std::string Gzip(std::string_view data);

}  // namespace handoff
