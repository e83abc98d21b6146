#include "daemon/serve/group_answers.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace handoff {
namespace {

// One instance of a local=1 /api/v1/instances answer; overdue "null" for a paused one.
std::string Instance(const std::string& key, const std::string& started, const std::string& overdue) {
  return R"({"sla":"accept","key":")" + key + R"(","cycle":1,"state":"overdue","started_at":")" +
         started + R"(","deadline":null,"breached_at":null,"elapsed_seconds":1,"overdue_seconds":)" +
         overdue + "}";
}

std::string Instances(const std::vector<std::string>& instances, int matched) {
  std::string body = R"({"instances":[)";
  for (std::size_t i = 0; i < instances.size(); ++i) body += (i ? "," : "") + instances[i];
  return body + R"(],"matched":)" + std::to_string(matched) + R"(,"limit":3})";
}

MemberAnswer Answer(const std::string& url, int status, std::string body) {
  return MemberAnswer{url, std::nullopt, status, std::move(body)};
}

// The keys of a merged answer, in order.
std::vector<std::string> Keys(const std::string& body) {
  std::vector<std::string> keys;
  for (std::size_t at = body.find(R"("key":")"); at != std::string::npos;
       at = body.find(R"("key":")", at + 1)) {
    std::size_t start = at + 7;
    keys.push_back(body.substr(start, body.find('"', start) - start));
  }
  return keys;
}

TEST(MergeInstances, RanksEveryMembersInstancesAsOneListTheSameWhoeverAsks) {
  std::vector<MemberAnswer> answers = {
      Answer("http://a:9464", 200,
             Instances({Instance("a1", "2026-11-27T10:00:00Z", "90"),
                        Instance("a2", "2026-11-27T10:00:00Z", "-30"),
                        Instance("a3", "2026-11-27T09:00:00Z", "null")},
                       7)),
      Answer("http://b:9464", 200,
             Instances({Instance("b1", "2026-11-27T10:00:00Z", "120.5"),
                        Instance("b2", "2026-11-27T10:00:00Z", "60")},
                       2)),
      MemberAnswer{"http://c:9464", "connect: Connection refused", 0, ""},
      Answer("http://d:9464", 401, "Unauthorized\n"),
  };
  const std::string merged = MergeInstances(answers, 3);
  EXPECT_EQ(Keys(merged), (std::vector<std::string>{"b1", "a1", "b2"}));
  EXPECT_EQ(merged.find("overdue_seconds"), std::string::npos) << merged;
  EXPECT_NE(merged.find(R"({"sla":"accept","key":"b1","cycle":1,"state":"overdue","started_at":"2026-11-27T10:00:00Z","deadline":null,"breached_at":null,"elapsed_seconds":1},)"),
            std::string::npos)
      << merged;
  EXPECT_NE(merged.find(
                R"("matched":9,"limit":3,"unreachable":[{"member":"http://c:9464","error":"connect: Connection refused"},{"member":"http://d:9464","error":"answered 401: Unauthorized"}]})"),
            std::string::npos)
      << merged;

  // Asked on another member: its own answer comes first, the merged answer is the same.
  std::reverse(answers.begin(), answers.end());
  EXPECT_EQ(MergeInstances(answers, 3), merged);
  // Paused ones (no deadline) come after every one with a deadline.
  EXPECT_EQ(Keys(MergeInstances(answers, 10)),
            (std::vector<std::string>{"b1", "a1", "b2", "a2", "a3"}));
}

TEST(MergeInstances, AnAnswerOfAnotherShapeIsListedNotMerged) {
  const std::string merged = MergeInstances({Answer("http://a:9464", 200, R"({"instances":[]})"),
                                              Answer("http://b:9464", 200, "<html>")},
                                             5);
  EXPECT_EQ(merged,
            R"({"instances":[],"matched":0,"limit":5,"unreachable":[{"member":"http://b:9464","error":"answered something other than an instance list"}]})");
}

// One instance of a local=1 /api/v1/orders/{key} answer.
std::string OrderInstance(const std::string& sla, const std::string& started,
                          const std::string& as_of, const std::string& state) {
  return R"({"sla":")" + sla + R"(","cycle":1,"partition":3,"state":")" + state +
         R"(","started_at":")" + started + R"(","as_of":")" + as_of + R"(","decisions":[]})";
}

std::string Order(const std::vector<std::string>& instances, bool truncated = false) {
  std::string body = R"({"key":"o 42","truncated":)" + std::string(truncated ? "true" : "false") +
                     R"(,"instances":[)";
  for (std::size_t i = 0; i < instances.size(); ++i) body += (i ? "," : "") + instances[i];
  return body + "]}";
}

TEST(MergeOrder, EachInstanceComesFromTheMemberThatSawItLast) {
  // a owned the partition until 11:00; b took it over and decided the breach.
  std::vector<MemberAnswer> answers = {
      Answer("http://a:9464", 200,
             Order({OrderInstance("accept", "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z", "running")})),
      Answer("http://b:9464", 200,
             Order({OrderInstance("ship", "2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z", "running"),
                    OrderInstance("accept", "2026-11-27T10:00:00Z", "2026-11-27T11:30:00Z", "overdue")},
                   true)),
      Answer("http://c:9464", 404, R"({"error":"no timeline for order \"o 42\""})"),
  };
  MergedAnswer merged = MergeOrder("o 42", answers);
  EXPECT_EQ(merged.status, 200);
  EXPECT_EQ(merged.body,
            R"({"key":"o 42","truncated":true,"instances":[)" +
                OrderInstance("accept", "2026-11-27T10:00:00Z", "2026-11-27T11:30:00Z", "overdue") +
                "," +
                OrderInstance("ship", "2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z", "running") +
                R"(],"unreachable":[]})");
  std::reverse(answers.begin(), answers.end());
  EXPECT_EQ(MergeOrder("o 42", answers).body, merged.body);
}

TEST(MergeOrder, NoMemberKnowsTheOrder) {
  MergedAnswer merged =
      MergeOrder("o 42", {Answer("http://a:9464", 404, "{}"),
                          MemberAnswer{"http://b:9464", "read: timed out", 0, ""}});
  EXPECT_EQ(merged.status, 404);
  EXPECT_EQ(merged.body,
            R"({"error":"no timeline for order \"o 42\"","unreachable":[{"member":"http://b:9464","error":"read: timed out"}]})");
}

}  // namespace
}  // namespace handoff
