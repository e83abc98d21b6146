#include "daemon/serve/gzip.h"

#include <zlib.h>

#include "daemon/serve/quality_list.h"

namespace handoff {

bool AcceptsGzip(std::string_view header) {
  for (const QualityElement& element : ParseQualityList(header)) {
    if ((EqualsIgnoreCase(element.value, "gzip") || element.value == "*") && element.q > 0) {
      return true;
    }
  }
  return false;
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace handoff
