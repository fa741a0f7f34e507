#include "libs/identity/service_token_source.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"

namespace quxiang::identity {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

class ServiceTokenSourceTest : public ::testing::Test {
 protected:
  // Issues "token-N" valid for five minutes from the fake clock's time.
  ServiceTokenSource::Issuer CountingIssuer() {
    return [this](absl::Time) -> absl::StatusOr<IssuedToken> {
      int n = ++issued_;
      if (fail_) return Unavailable("ACCOUNTS_UNAVAILABLE", "账号服务暂不可用。");
      return IssuedToken{absl::StrCat("token-", n), clock_.Now() + absl::Minutes(5)};
    };
  }

  FakeClock clock_{kStart};
  std::atomic<int> issued_{0};
  std::atomic<bool> fail_{false};
};

TEST_F(ServiceTokenSourceTest, ReusesTokenUntilMargin) {
  ServiceTokenSource source(CountingIssuer(), clock_, absl::Seconds(60));

  EXPECT_EQ(*source.Token(absl::InfiniteFuture()), "token-1");
  clock_.Advance(absl::Minutes(3));
  EXPECT_EQ(*source.Token(absl::InfiniteFuture()), "token-1");
  EXPECT_EQ(issued_, 1);

  // 4 minutes 1 second in, the token has less than the 60-second margin left.
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(*source.Token(absl::InfiniteFuture()), "token-2");
  EXPECT_EQ(issued_, 2);
}

TEST_F(ServiceTokenSourceTest, InvalidateForcesNewToken) {
  ServiceTokenSource source(CountingIssuer(), clock_);
  EXPECT_EQ(*source.Token(absl::InfiniteFuture()), "token-1");

  source.Invalidate();

  EXPECT_EQ(*source.Token(absl::InfiniteFuture()), "token-2");
}

TEST_F(ServiceTokenSourceTest, IssuerErrorIsReturnedAndRetried) {
  ServiceTokenSource source(CountingIssuer(), clock_);
  fail_ = true;

  absl::StatusOr<std::string> token = source.Token(absl::InfiniteFuture());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable);

  fail_ = false;
  EXPECT_EQ(*source.Token(absl::InfiniteFuture()), "token-2");
}

TEST_F(ServiceTokenSourceTest, ConcurrentCallersShareOneIssue) {
  ServiceTokenSource source(CountingIssuer(), clock_);
  std::vector<std::thread> threads;
  std::atomic<int> matching{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<std::string> token = source.Token(absl::InfiniteFuture());
      if (token.ok() && *token == "token-1") ++matching;
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(matching, 8);
  EXPECT_EQ(issued_, 1);
}

}  // namespace
}  // namespace quxiang::identity
