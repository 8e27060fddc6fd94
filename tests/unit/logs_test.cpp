#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "oci/guard/event_log.h"
#include "oci/base/files.h"
#include "oci/runc_log.h"

namespace rg {
namespace {

TEST(RuncLog, JsonLineIsWhatContainerdParses) {
  std::string line = format_runc_log_line(LogLevel::Error, "runc-guard: \"x\" failed\n", "json", 1700000000);
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "runc-guard: \"x\" failed\n");
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20Z");
  // Key order as logrus writes it.
  EXPECT_EQ(line.substr(0, 18), "{\"level\":\"error\",\"");
}

TEST(RuncLog, TextLineIsLogrusFormat) {
  EXPECT_EQ(format_runc_log_line(LogLevel::Warning, "kernel memory \"stripped\"", "text", 1700000000),
            "time=\"2023-11-14T22:13:20Z\" level=warning msg=\"kernel memory \\\"stripped\\\"\"\n");
}

TEST(RuncLog, AppendsToLogFileAndEveryLineIsValidJson) {
  char tmpl[] = "/tmp/rg-log-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string path = dir + "/log.json";
  std::ofstream(path) << "{\"level\":\"info\",\"msg\":\"from runc\",\"time\":\"2023-11-14T22:13:20Z\"}\n";
  RuncLog log(path, "json");
  log.write(LogLevel::Warning, "runc-guard: one");
  log.write(LogLevel::Error, "runc-guard: two");
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  for (std::string l; std::getline(in, l);) {
    auto j = nlohmann::json::parse(l);
    EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(), rfc3339));
    lines.push_back(j);
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["msg"], "from runc");
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[2]["msg"], "runc-guard: two");
  std::filesystem::remove_all(dir);
}

TEST(RuncLog, NoLogPathWritesNothing) {
  RuncLog log("", "json");
  log.write(LogLevel::Error, "nothing");  // must not crash nor write anywhere
  SUCCEED();
}

TEST(EventLog, FormatsOneObjectPerEvent) {
  std::string line = format_event("2026-01-01T00:00:00.000Z", 42, "create", "c1", "kmem.stripped",
                                  {{"kernel", 67108864}});
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["command"], "create");
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["event"], "kmem.stripped");
  EXPECT_EQ(j["details"]["kernel"], 67108864);
}

TEST(EventLog, LazyFileCreatedOnlyOnFirstEvent) {
  char tmpl[] = "/tmp/rg-ev-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string path = dir + "/sub/events.jsonl";
  {
    EventLog events(path, "create", "c1");
    EXPECT_FALSE(std::filesystem::exists(path));
    events.emit("a", {{"n", 1}});
    events.emit("b", {{"n", 2}});
  }
  std::ifstream in(path);
  std::vector<std::string> names;
  for (std::string l; std::getline(in, l);) names.push_back(nlohmann::json::parse(l)["event"]);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rg

namespace rg {
namespace {

TEST(AtomicWrite, WritesThroughASymlinkOnlyWhenAskedTo) {
  char tmpl[] = "/tmp/rg-link-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::filesystem::create_directory(dir + "/managed");
  std::ofstream(dir + "/managed/daemon.json") << "{}";
  std::filesystem::create_symlink("managed/daemon.json", dir + "/daemon.json");
  write_file_atomic(dir + "/daemon.json", "{\"runtimes\":{}}", std::nullopt, Symlink::WriteTarget);
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/daemon.json"));
  EXPECT_EQ(read_file(dir + "/managed/daemon.json"), "{\"runtimes\":{}}");
  // The default never writes through a link (a planted link in a cache must not redirect a root write).
  write_file_atomic(dir + "/daemon.json", "replaced");
  EXPECT_FALSE(std::filesystem::is_symlink(dir + "/daemon.json"));
  EXPECT_EQ(read_file(dir + "/managed/daemon.json"), "{\"runtimes\":{}}");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rg
