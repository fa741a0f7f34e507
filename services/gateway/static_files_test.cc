#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "services/gateway/static_files.h"

namespace quxiang::gateway {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("quxiang-static-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "dist";
    WriteFile(root_ / "index.html", "<html>index</html>");
    WriteFile(root_ / "app.js", "console.log(1)");
    WriteFile(root_ / "assets" / "main-1a2b.css", "body{}");
    WriteFile(root_ / "docs" / "index.html", "docs index");
    WriteFile(root_ / ".env", "SECRET=1");
    WriteFile(base_ / "secret.txt", "outside the root");
    fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFilesTest, ServesIndexForRoot) {
  StaticFiles files(root_);
  auto file = files.Find("/");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->content, "<html>index</html>");
  EXPECT_EQ(file->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(file->cache_control, "no-cache");
}

TEST_F(StaticFilesTest, ServesFilesWithTypes) {
  StaticFiles files(root_);
  auto script = files.Find("/app.js");
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  auto style = files.Find("/assets/main-1a2b.css");
  ASSERT_TRUE(style.ok());
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(style->cache_control, "public, max-age=31536000, immutable");
  auto folder = files.Find("/docs/");
  ASSERT_TRUE(folder.ok());
  EXPECT_EQ(folder->content, "docs index");
}

TEST_F(StaticFilesTest, FallsBackToIndexWithoutExtension) {
  StaticFiles files(root_);
  auto route = files.Find("/students/42/agreements");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->content, "<html>index</html>");
  EXPECT_FALSE(files.Find("/missing.js").ok());
}

TEST_F(StaticFilesTest, RejectsTraversal) {
  StaticFiles files(root_);
  for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                           "/assets/..%2f..%2fsecret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
                           "/.env", "/%00index.html", "/link.txt", "/a/../../secret.txt"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(files.Find(path).status().code(), absl::StatusCode::kNotFound);
  }
}

TEST(ContentTypeFor, KnownExtensions) {
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.png"), "image/png");
  EXPECT_EQ(ContentTypeFor("favicon.ico"), "image/x-icon");
  EXPECT_EQ(ContentTypeFor("data.json"), "application/json; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("font.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("archive"), "application/octet-stream");
}

}  // namespace
}  // namespace quxiang::gateway
