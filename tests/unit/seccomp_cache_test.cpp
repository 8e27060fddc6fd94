// The summary cache: hits, and untrusted entries (corrupt, foreign-owned, writable by others, symlinks,
// wrong key) ignored and rewritten.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "oci/base/error.h"
#include "seccomp/engine.h"
#include "seccomp_test_helpers.h"

namespace rg::seccomp {
namespace {

using namespace rg::seccomp::testing;

class SeccompCache : public ::testing::Test {
 protected:
  TempDir tmp;
  std::string dir = tmp.file("run/runc-guard/seccomp");
  Cache cache{dir};
  nlohmann::ordered_json profile = load_seccomp(shared_testdata("docker-20.10/default.config.json"));

  CachedSummary run() {
    auto r = summarize(profile, &cache);
    if (!r) throw std::runtime_error("seccomp disabled?");
    return *r;
  }
};

TEST_F(SeccompCache, MissThenHitWithTheSameSummary) {
  const auto cold = run();
  EXPECT_FALSE(cold.from_cache);
  EXPECT_TRUE(cold.cache_error.empty()) << cold.cache_error;
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat(cache.entry_path(cold.key).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  const auto hot = run();
  EXPECT_TRUE(hot.from_cache);
  EXPECT_EQ(hot.summary, cold.summary);
  EXPECT_EQ(hot.summary, analyze(*parse_profile(profile)).summary);
}

TEST_F(SeccompCache, KeyFollowsTheCanonicalProfile) {
  const auto a = run();
  auto reordered = nlohmann::ordered_json::parse(canonical_json(profile));  // other key order, same profile
  auto r = summarize(reordered, &cache);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->from_cache);
  EXPECT_EQ(r->key, a.key);
  profile["defaultErrnoRet"] = 38;
  const auto changed = run();
  EXPECT_FALSE(changed.from_cache);
  EXPECT_NE(changed.key, a.key);
}

TEST_F(SeccompCache, UntrustedEntriesAreIgnoredAndRewritten) {
  const auto first = run();
  const std::string entry = cache.entry_path(first.key);
  const std::string good = slurp(entry);

  struct Tamper {
    const char* name;
    std::function<void()> apply;
  };
  const std::vector<Tamper> tampers = {
      {"garbage", [&] { std::ofstream(entry, std::ios::trunc) << "{not json"; }},
      {"truncated", [&] { std::ofstream(entry, std::ios::trunc) << good.substr(0, good.size() / 2); }},
      {"wrong key", [&] {
         auto j = nlohmann::json::parse(good);
         j["key"] = std::string(64, 'a');
         std::ofstream(entry, std::ios::trunc) << j.dump();
       }},
      {"inconsistent sizes", [&] {
         auto j = nlohmann::json::parse(good);
         j["summary"]["bytes"] = 8;  // a forged small size would hide a hazard
         std::ofstream(entry, std::ios::trunc) << j.dump();
       }},
      {"foreign owner", [&] { ASSERT_EQ(::chown(entry.c_str(), 12345, 12345), 0); }},
      {"group writable", [&] { ASSERT_EQ(::chmod(entry.c_str(), 0620), 0); }},
      {"symlink", [&] {
         std::ofstream(tmp.file("elsewhere.json")) << good;
         ::unlink(entry.c_str());
         ASSERT_EQ(::symlink(tmp.file("elsewhere.json").c_str(), entry.c_str()), 0);
       }},
  };
  for (const auto& t : tampers) {
    SCOPED_TRACE(t.name);
    t.apply();
    EXPECT_FALSE(cache.load(first.key).has_value());
    const auto again = run();
    EXPECT_FALSE(again.from_cache);
    EXPECT_EQ(again.summary, first.summary);
    struct stat st {};
    ASSERT_EQ(::lstat(entry.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_TRUE(run().from_cache);  // rewritten and trusted again
  }
}

TEST_F(SeccompCache, LooseDirectoryModeIsTightened) {
  run();
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  profile["defaultErrnoRet"] = 2;  // a miss forces a store
  run();
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(SeccompCache, ForeignDirectoryIsNotUsedButTheSummaryIsStillRight) {
  ASSERT_EQ(::mkdir(tmp.file("run").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp.file("run/runc-guard").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 12345, 12345), 0);
  const auto r = run();
  EXPECT_FALSE(r.from_cache);
  EXPECT_NE(r.cache_error.find("owned by uid 12345"), std::string::npos) << r.cache_error;
  EXPECT_EQ(r.summary, analyze(*parse_profile(profile)).summary);
}

TEST_F(SeccompCache, InvalidProfilesAreNeverCached) {
  profile["defaultAction"] = "SCMP_ACT_BOGUS";
  EXPECT_THROW(run(), Error);
  EXPECT_THROW(run(), Error);
}

}  // namespace
}  // namespace rg::seccomp
