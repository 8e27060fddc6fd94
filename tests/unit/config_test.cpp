#include <gtest/gtest.h>

#include "temp_dir.h"
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "oci/guard/config.h"
#include "oci/base/error.h"

namespace rg {
namespace {

std::string refusal_of(std::string_view text) {
  try {
    parse_config(text, "/etc/runc-guard/config.json");
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_refusal());
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(Config, DefaultsWhenEmptyObject) {
  Config c = parse_config("{}", "f.json");
  EXPECT_EQ(c.mode, Mode::Enforce);
  EXPECT_EQ(c.runtime.path, "");
  EXPECT_EQ(c.log.events, "/var/log/runc-guard/events.jsonl");
  EXPECT_EQ(c.seccomp.on_hazard, OnHazard::Watch);
  EXPECT_TRUE(c.watchdog.enabled);
  EXPECT_TRUE(c.watchdog.unstick);
  EXPECT_EQ(c.watchdog.init_timeout_s, 60);
  EXPECT_EQ(c.kernel_memory.policy, KmemPolicy::Strip);
  EXPECT_EQ(c.kernel_memory.min_kernel, "4.0");
  EXPECT_EQ(c.metrics.textfile_dir, "");
}

TEST(Config, FullDocument) {
  Config c = parse_config(R"({
    "mode": "observe",
    "runtime": {"path": "/usr/bin/runc"},
    "log": {"events": "/tmp/e.jsonl"},
    "seccomp": {"on_hazard": "reject", "cache_dir": "/run/x"},
    "watchdog": {"enabled": false, "unstick": false, "init_timeout_s": 10},
    "kernel_memory": {"policy": "reject", "min_kernel": "4.6", "kernel_release": "3.10.0-1160.el7.x86_64"},
    "metrics": {"textfile_dir": "/var/lib/node_exporter"}
  })", "f.json");
  EXPECT_EQ(c.mode, Mode::Observe);
  EXPECT_EQ(c.runtime.path, "/usr/bin/runc");
  EXPECT_EQ(c.log.events, "/tmp/e.jsonl");
  EXPECT_EQ(c.seccomp.on_hazard, OnHazard::Reject);
  EXPECT_EQ(c.seccomp.cache_dir, "/run/x");
  EXPECT_FALSE(c.watchdog.enabled);
  EXPECT_FALSE(c.watchdog.unstick);
  EXPECT_EQ(c.watchdog.init_timeout_s, 10);
  EXPECT_EQ(c.kernel_memory.policy, KmemPolicy::Reject);
  EXPECT_EQ(c.kernel_memory.min_kernel, "4.6");
  EXPECT_EQ(c.kernel_memory.kernel_release, "3.10.0-1160.el7.x86_64");
  EXPECT_EQ(c.metrics.textfile_dir, "/var/lib/node_exporter");
}

TEST(Config, MalformedJsonNamesFileAndLine) {
  std::string msg = refusal_of("{\n  \"mode\": \"observe\",\n  \"runtime\": {\"path\": }\n}");
  EXPECT_NE(msg.find("/etc/runc-guard/config.json:3"), std::string::npos) << msg;
}

// nlohmann reports such a number as out_of_range, not parse_error: it escaped as a foreign exception, and
// doctor, which expects an rg::Error for a bad config, died on it instead of reporting the config.
TEST(Config, NumberBeyondADoubleIsARefusalWithFileAndLine) {
  std::string msg = refusal_of("{\n  \"watchdog\": {\n    \"init_timeout_s\": 1e400\n  }\n}");
  EXPECT_NE(msg.find("/etc/runc-guard/config.json:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("number overflow"), std::string::npos) << msg;
}

TEST(Config, UnknownKeyNamesLineAndKey) {
  std::string msg = refusal_of("{\n  \"mode\": \"enforce\",\n  \"watchdog\": {\n    \"timeout\": 5\n  }\n}");
  EXPECT_NE(msg.find("config.json:4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"watchdog.timeout\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
}

TEST(Config, UnknownTopLevelKey) {
  std::string msg = refusal_of("{\"modes\": \"enforce\"}");
  EXPECT_NE(msg.find("\"modes\""), std::string::npos) << msg;
}

TEST(Config, WrongTypes) {
  EXPECT_NE(refusal_of("{\"watchdog\": {\"enabled\": \"yes\"}}").find("watchdog.enabled"), std::string::npos);
  EXPECT_NE(refusal_of("{\"watchdog\": {\"init_timeout_s\": \"60\"}}").find("must be an integer"), std::string::npos);
  EXPECT_NE(refusal_of("{\"watchdog\": {\"init_timeout_s\": 0}}").find("between"), std::string::npos);
  EXPECT_NE(refusal_of("{\"runtime\": \"/usr/bin/runc\"}").find("must be an object"), std::string::npos);
  EXPECT_NE(refusal_of("{\"runtime\": {\"path\": 5}}").find("runtime.path"), std::string::npos);
  EXPECT_NE(refusal_of("{\"runtime\": {\"path\": \"runc\"}}").find("absolute"), std::string::npos);
  EXPECT_NE(refusal_of("{\"mode\": \"enforcing\"}").find("not one of: enforce, observe"), std::string::npos);
  EXPECT_NE(refusal_of("{\"kernel_memory\": {\"policy\": \"drop\"}}").find("kernel_memory.policy"), std::string::npos);
  EXPECT_NE(refusal_of("{\"seccomp\": {\"on_hazard\": 1}}").find("seccomp.on_hazard"), std::string::npos);
  EXPECT_NE(refusal_of("[1,2]").find("object"), std::string::npos);
  EXPECT_NE(refusal_of("{\"kernel_memory\": {\"min_kernel\": \"four\"}}").find("kernel_memory.min_kernel"),
            std::string::npos);
  EXPECT_NE(refusal_of("{\"kernel_memory\": {\"kernel_release\": \"el7\"}}").find("kernel_memory.kernel_release"),
            std::string::npos);
}

using test::TempDir;

TEST(Config, LoadSecureFile) {
  TempDir dir;
  auto p = dir.file("ok.json", "{\"mode\": \"observe\"}", 0644);
  EXPECT_EQ(load_config(p, true).mode, Mode::Observe);
}

TEST(Config, RefusesGroupOrWorldWritable) {
  TempDir dir;
  for (mode_t mode : {0664, 0646, 0666}) {
    auto p = dir.file("w.json", "{}", mode);
    try {
      load_config(p, true);
      ADD_FAILURE() << "accepted mode " << std::oct << mode;
    } catch (const Error& e) {
      EXPECT_TRUE(e.is_refusal());
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("writable by group or others"), std::string::npos);
    }
  }
}

TEST(Config, RefusesNonRootOwner) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to chown a file";
  TempDir dir;
  auto p = dir.file("u.json", "{}", 0644);
  ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  try {
    load_config(p, true);
    ADD_FAILURE() << "accepted a file owned by uid 65534";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not owned by root"), std::string::npos) << e.what();
  }
}

TEST(Config, MissingDefaultMeansDefaultsButMissingExplicitIsAnError) {
  EXPECT_EQ(load_config("/nonexistent/runc-guard.json", false).mode, Mode::Enforce);
  EXPECT_THROW(load_config("/nonexistent/runc-guard.json", true), Error);
}

TEST(Config, EnvOverride) {
  ::setenv("RUNC_GUARD_CONFIG", "/x/y.json", 1);
  EXPECT_EQ(config_path_from_env(), "/x/y.json");
  ::unsetenv("RUNC_GUARD_CONFIG");
  EXPECT_EQ(config_path_from_env(), "/etc/runc-guard/config.json");
}

}  // namespace
}  // namespace rg
