// JSON string escaping: every body and report is valid UTF-8, whatever bytes came in.
#include "handlers/json_writer.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonEscaped(out, text);
  return out;
}

TEST(JsonEscape, KeepsWellFormedUtf8) {
  for (const char* good : {"plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                           "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf", "\xef\xbf\xbd"}) {
    EXPECT_EQ(Escaped(good), good);
  }
}

TEST(JsonEscape, ReplacesEveryIllFormedByteWithU_FFFD) {
  const std::string kFffd = "\xef\xbf\xbd";
  EXPECT_EQ(Escaped("\xff\xfe"), kFffd + kFffd);  // GET /api/v1/orders/%FF%FE
  EXPECT_EQ(Escaped("a\x80z"), "a" + kFffd + "z");                      // lone continuation
  EXPECT_EQ(Escaped("\xc3"), kFffd);                                    // truncated
  EXPECT_EQ(Escaped("\xc0\xaf"), kFffd + kFffd);                        // overlong '/'
  EXPECT_EQ(Escaped("\xe0\x80\xaf"), kFffd + kFffd + kFffd);            // overlong
  EXPECT_EQ(Escaped("\xed\xa0\x80"), kFffd + kFffd + kFffd);            // a surrogate
  EXPECT_EQ(Escaped("\xf4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(Escaped("\xe2\x82"), kFffd + kFffd);
}

TEST(Utf8CodePoints, CountsWellFormedAndRefusesIllFormed) {
  EXPECT_EQ(Utf8CodePoints(""), 0u);
  EXPECT_EQ(Utf8CodePoints("order-42"), 8u);
  EXPECT_EQ(Utf8CodePoints("caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80"), 7u);
  for (const char* bad :
       {"\xff", "a\x80z", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    EXPECT_EQ(Utf8CodePoints(bad), std::nullopt) << bad;
  }
}

TEST(JsonEscape, EscapesControlBytesQuotesAndBackslashes) {
  EXPECT_EQ(Escaped(std::string("a\"b\\c\n\r\t\x1b\x7f\0", 11)),
            "a\\\"b\\\\c\\n\\r\\t\\u001b\\u007f\\u0000");
}

TEST(JsonEscape, QuoteTextAndEscapeControlBytes) {
  EXPECT_EQ(QuoteText("x\ny\"z"), "\"x\\ny\\\"z\"");
  EXPECT_EQ(EscapeControlBytes("bad \"2x\nfake: line\x1b[31m\xff\""),
            "bad \"2x\\nfake: line\\u001b[31m\xef\xbf\xbd\"");
}

TEST(JsonWriter, StringsAndKeysComeOutValid) {
  JsonWriter json;
  json.BeginObject().Key("k\xff").String("v\xfe\n").EndObject();
  EXPECT_EQ(json.str(), "{\"k\xef\xbf\xbd\":\"v\xef\xbf\xbd\\n\"}");
}

}  // namespace
}  // namespace handoff
