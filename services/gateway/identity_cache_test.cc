#include <string>

#include "gtest/gtest.h"
#include "services/gateway/identity_cache.h"
#include "services/gateway/request_id.h"
#include "services/gateway/session_cookies.h"

namespace quxiang::gateway {
namespace {

class IdentityCacheTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  IdentityCache::Clock clock_ = [this] { return now_; };
};

TEST_F(IdentityCacheTest, KeepsEntryForMaxAge) {
  IdentityCache cache(absl::Seconds(60), 10, clock_);
  cache.Store("s1", {"identity", "csrf"}, absl::InfiniteFuture());
  now_ += absl::Seconds(59);
  auto found = cache.Find("s1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->identity_token, "identity");
  EXPECT_EQ(found->csrf_token, "csrf");
  now_ += absl::Seconds(1);
  EXPECT_FALSE(cache.Find("s1").has_value());
}

TEST_F(IdentityCacheTest, NeverPastTokenExpiry) {
  IdentityCache cache(absl::Seconds(60), 10, clock_);
  cache.Store("s1", {"identity", "csrf"}, now_ + absl::Seconds(20));
  now_ += absl::Seconds(20) - IdentityCache::kExpiryMargin - absl::Milliseconds(1);
  EXPECT_TRUE(cache.Find("s1").has_value());
  now_ += absl::Milliseconds(1);
  EXPECT_FALSE(cache.Find("s1").has_value());
}

TEST_F(IdentityCacheTest, SkipsTokenAboutToExpire) {
  IdentityCache cache(absl::Seconds(60), 10, clock_);
  cache.Store("s1", {"identity", "csrf"}, now_ + absl::Seconds(2));
  EXPECT_FALSE(cache.Find("s1").has_value());
}

TEST_F(IdentityCacheTest, EraseDropsEntry) {
  IdentityCache cache(absl::Seconds(60), 10, clock_);
  cache.Store("s1", {"identity", "csrf"}, absl::InfiniteFuture());
  cache.Erase("s1");
  EXPECT_FALSE(cache.Find("s1").has_value());
}

TEST_F(IdentityCacheTest, FullCacheStaysBounded) {
  IdentityCache cache(absl::Seconds(60), 3, clock_);
  for (int i = 0; i < 10; ++i) {
    cache.Store("s" + std::to_string(i), {"identity", "csrf"}, absl::InfiniteFuture());
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_TRUE(cache.Find("s9").has_value());
}

TEST(SessionCookies, FindsCookieByName) {
  EXPECT_EQ(FindCookie("a=1; qx_session=abc; qx_csrf=\"def\"", "qx_session").value_or("?"), "abc");
  EXPECT_EQ(FindCookie("a=1; qx_session=abc; qx_csrf=\"def\"", "qx_csrf").value_or("?"), "def");
  EXPECT_FALSE(FindCookie("xqx_session=abc", "qx_session").has_value());
  EXPECT_FALSE(FindCookie("", "qx_session").has_value());
}

TEST(SessionCookies, SetCookieAttributes) {
  EXPECT_EQ(SessionCookieHeader("tok", false), "qx_session=tok; HttpOnly; SameSite=Strict; Path=/");
  EXPECT_EQ(SessionCookieHeader("tok", true),
            "qx_session=tok; HttpOnly; SameSite=Strict; Path=/; Secure");
  EXPECT_EQ(CsrfCookieHeader("c", false), "qx_csrf=c; SameSite=Strict; Path=/");
  EXPECT_EQ(ExpiredCookieHeader("qx_csrf", false, false),
            "qx_csrf=; SameSite=Strict; Path=/; Max-Age=0");
}

TEST(SessionCookies, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(RequestId, ValidatesClientIds) {
  EXPECT_TRUE(IsValidRequestId("abc-123_X.y"));
  EXPECT_TRUE(IsValidRequestId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidRequestId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("a b"));
  EXPECT_FALSE(IsValidRequestId("a\nb"));
}

TEST(RequestId, GeneratesUuidVersion4) {
  std::string id = NewRequestId();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
  EXPECT_TRUE(IsValidRequestId(id));
  EXPECT_NE(id, NewRequestId());
}

}  // namespace
}  // namespace quxiang::gateway
