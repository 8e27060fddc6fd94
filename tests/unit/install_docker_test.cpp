#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "install/engine_configs.h"
#include "install_test_util.h"
#include "oci/base/error.h"

namespace rg::install {
namespace {

using testing::sample;
using OrderedJson = nlohmann::ordered_json;

RuntimeRegistration guard(bool as_default = false) { return {"runc-guard", "/usr/bin/runc-guard", as_default}; }

TEST(InstallDocker, KeepsEveryKeyAndTheirOrder) {
  std::string original = sample("docker-daemon-production.json");
  auto edited = add_docker_runtime(original, guard(), "/etc/docker/daemon.json");
  OrderedJson before = OrderedJson::parse(original), after = OrderedJson::parse(edited.text);
  EXPECT_EQ(after["runtimes"]["runc-guard"], (OrderedJson{{"path", "/usr/bin/runc-guard"}}));
  // Everything else is exactly as it was, key order included.
  after["runtimes"].erase("runc-guard");
  EXPECT_EQ(after.dump(), before.dump());
  EXPECT_EQ(after["default-runtime"], "nvidia");
  // Four-space indentation of the original is kept.
  EXPECT_NE(edited.text.find("\n    \"log-driver\""), std::string::npos) << edited.text;
}

TEST(InstallDocker, AsDefaultReplacesDefaultRuntimeAndSaysSo) {
  auto edited = add_docker_runtime(sample("docker-daemon-production.json"), guard(true), "daemon.json");
  EXPECT_EQ(OrderedJson::parse(edited.text)["default-runtime"], "runc-guard");
  bool noted = false;
  for (const auto& n : edited.notes) noted = noted || n.find("default-runtime was \"nvidia\"") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(InstallDocker, MissingOrEmptyFileBecomesMinimalConfig) {
  for (std::optional<std::string_view> original : {std::optional<std::string_view>(), std::optional<std::string_view>("\n")}) {
    auto edited = add_docker_runtime(original, guard(true), "daemon.json");
    EXPECT_EQ(edited.text,
              "{\n  \"runtimes\": {\n    \"runc-guard\": {\n      \"path\": \"/usr/bin/runc-guard\"\n    }\n  },\n"
              "  \"default-runtime\": \"runc-guard\"\n}\n");
  }
}

TEST(InstallDocker, TabsAndCompactFiles) {
  auto tabs = add_docker_runtime(sample("docker-daemon-tabs.json"), guard(), "daemon.json");
  EXPECT_NE(tabs.text.find("\n\t\"data-root\": \"/srv/docker\""), std::string::npos) << tabs.text;
  EXPECT_NE(tabs.text.find("\n\t\t\"runc-guard\""), std::string::npos) << tabs.text;
  auto compact = add_docker_runtime(sample("docker-daemon-compact.json"), guard(), "daemon.json");
  auto doc = OrderedJson::parse(compact.text);
  EXPECT_EQ(doc.begin().key(), "bridge");
  EXPECT_EQ(doc["iptables"], false);
}

TEST(InstallDocker, RefusesWhatItCannotSafelyEdit) {
  auto refusal = [](std::string_view text) -> std::string {
    try {
      add_docker_runtime(text, guard(), "/etc/docker/daemon.json");
    } catch (const Error& e) {
      EXPECT_TRUE(e.is_refusal());
      return e.what();
    }
    return "accepted";
  };
  std::string broken = refusal(sample("docker-daemon-broken.json"));
  EXPECT_NE(broken.find("cannot parse /etc/docker/daemon.json (line 4)"), std::string::npos) << broken;
  EXPECT_NE(broken.find("nothing was changed"), std::string::npos);
  EXPECT_NE(refusal("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(refusal(R"({"runtimes": "x"})").find("\"runtimes\" is not an object"), std::string::npos);
  EXPECT_NE(refusal(R"({"runtimes": {"runc-guard": {"path": "/opt/x"}}})").find("already defines runtime"),
            std::string::npos);
}

TEST(InstallDocker, RuntimeNames) {
  EXPECT_NO_THROW(validate_runtime_name("runc-guard"));
  EXPECT_NO_THROW(validate_runtime_name("guard_2.v1"));
  for (const char* bad : {"", "runc", "io.containerd.runc.v2", "a b", "x/y", "quote\""})
    EXPECT_THROW(validate_runtime_name(bad), Error) << bad;
}

}  // namespace
}  // namespace rg::install
