// podman_dropin: the containers.conf drop-in, given the files podman reads before and after it.
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include "install/engine_configs.h"
#include "install_test_util.h"
#include "oci/base/error.h"

namespace rg::install {
namespace {

using testing::sample;

constexpr const char* kDropIn = "/etc/containers/containers.conf.d/99-runc-guard.conf";

RuntimeRegistration guard(bool as_default = false) { return {"runc-guard", "/usr/bin/runc-guard", as_default}; }

std::vector<std::string> strings(const toml::table& doc, std::string_view dotted) {
  std::vector<std::string> out;
  const toml::array* array = doc.at_path(dotted).as_array();
  if (!array) throw std::runtime_error("no array at " + std::string(dotted));
  for (const auto& item : *array) out.push_back(item.value_or(std::string("<not a string>")));
  return out;
}

bool noted(const EditedConfig& edited, std::string_view text) {
  for (const auto& n : edited.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

std::string refusal(const RuntimeRegistration& runtime, const PodmanLayers& layers, const std::string& path = kDropIn) {
  try {
    podman_dropin(runtime, layers, path);
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_refusal());
    return e.what();
  }
  return "accepted";
}

TEST(InstallPodman, RegistersRuntimeAndKeepsTheBuiltInJsonList) {
  // The Debian/containers-common 0.50 distribution file sets nothing podman's built-in list would change.
  PodmanLayers layers{{{"/usr/share/containers/containers.conf", sample("containers-common-0.50-containers.conf")}}, {}};
  auto edited = podman_dropin(guard(), layers, kDropIn);
  auto doc = toml::parse(edited.text);
  EXPECT_EQ(strings(doc, "engine.runtimes.runc-guard"), std::vector<std::string>{"/usr/bin/runc-guard"});
  // A drop-in's array replaces the earlier list: runc, crun and the others must stay in it.
  EXPECT_EQ(strings(doc, "engine.runtime_supports_json"),
            (std::vector<std::string>{"crun", "runc", "kata", "runsc", "krun", "runc-guard"}));
  EXPECT_FALSE(doc.at_path("engine.runtime"));
  // Only the engine table: nothing else of podman's configuration is touched.
  EXPECT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc.at_path("engine").as_table()->size(), 2u);
  EXPECT_NE(edited.text.find("(podman's built-in default) plus \"runc-guard\""), std::string::npos) << edited.text;
  EXPECT_TRUE(noted(edited, "RUNC_GUARD_CONFIG does not reach it"));
  EXPECT_TRUE(noted(edited, "nothing to restart"));
  EXPECT_FALSE(noted(edited, "takes effect only there"));
}

TEST(InstallPodman, BuiltInJsonListOfPodman43) {
  // containers.conf(5) of containers-common 0.50 and podman 4.3.1's behaviour on Debian 12 (checked by the
  // e2e test): exactly these names get --log-format=json.
  EXPECT_EQ(podman_default_supports_json(), (std::vector<std::string>{"crun", "runc", "kata", "runsc", "krun"}));
}

TEST(InstallPodman, JsonListIsTheOneInEffectBeforeTheDropIn) {
  PodmanLayers layers{{{"/usr/share/containers/containers.conf", sample("containers-common-0.50-containers.conf")},
                       {"/etc/containers/containers.conf", sample("containers-conf-operator.conf")},
                       {"/etc/containers/containers.conf.d/10-unrelated.conf", "[engine]\nevents_logger = \"file\"\n"}},
                      {}};
  auto edited = podman_dropin(guard(), layers, kDropIn);
  auto doc = toml::parse(edited.text);
  EXPECT_EQ(strings(doc, "engine.runtime_supports_json"), (std::vector<std::string>{"crun", "runc", "youki", "runc-guard"}));
  EXPECT_NE(edited.text.find("(/etc/containers/containers.conf) plus"), std::string::npos) << edited.text;

  // A later layer wins over an earlier one, as in podman's merge.
  layers.before.push_back({"/etc/containers/containers.conf.d/50-late.conf", "[engine]\nruntime_supports_json = [\"runc\"]\n"});
  doc = toml::parse(podman_dropin(guard(), layers, kDropIn).text);
  EXPECT_EQ(strings(doc, "engine.runtime_supports_json"), (std::vector<std::string>{"runc", "runc-guard"}));

  // Already listed (e.g. by hand): not listed twice.
  layers.before.push_back({"/etc/containers/containers.conf.d/60-x.conf", "[engine]\nruntime_supports_json = [\"runc-guard\", \"runc\"]\n"});
  doc = toml::parse(podman_dropin(guard(), layers, kDropIn).text);
  EXPECT_EQ(strings(doc, "engine.runtime_supports_json"), (std::vector<std::string>{"runc-guard", "runc"}));
}

TEST(InstallPodman, AsDefaultSetsRuntimeAndNotesTheOneItReplaces) {
  PodmanLayers layers{{{"/etc/containers/containers.conf", sample("containers-conf-operator.conf")}}, {}};
  auto edited = podman_dropin(guard(true), layers, kDropIn);
  auto doc = toml::parse(edited.text);
  EXPECT_EQ(doc.at_path("engine.runtime").value_or(std::string()), "runc-guard");
  EXPECT_TRUE(noted(edited, "engine.runtime was \"crun\" (/etc/containers/containers.conf); uninstall restores it"));
  auto plain = podman_dropin(guard(true), {}, kDropIn);
  EXPECT_EQ(toml::parse(plain.text).at_path("engine.runtime").value_or(std::string()), "runc-guard");
  EXPECT_FALSE(noted(plain, "engine.runtime was"));
}

TEST(InstallPodman, LaterDropInsThatOverrideUsAreNoted) {
  PodmanLayers layers{{},
                      {{"/etc/containers/containers.conf.d/zz-site.conf",
                        "[engine]\nruntime = \"crun\"\nruntime_supports_json = [\"crun\", \"runc\"]\n"
                        "[engine.runtimes]\nrunc-guard = [\"/opt/other\"]\n"}}};
  auto edited = podman_dropin(guard(true), layers, kDropIn);
  EXPECT_TRUE(noted(edited, "zz-site.conf is read after " + std::string(kDropIn) +
                                " and sets engine.runtime_supports_json = [ \"crun\", \"runc\" ] without \"runc-guard\""));
  EXPECT_TRUE(noted(edited, "sets engine.runtime = \"crun\": runc-guard is not podman's default runtime"));
  EXPECT_TRUE(noted(edited, "defines engine.runtimes.runc-guard itself"));
  // A later list that has our name, and no --as-default: nothing to say.
  layers.after = {{"/etc/containers/containers.conf.d/zz-site.conf",
                   "[engine]\nruntime = \"crun\"\nruntime_supports_json = [\"runc-guard\"]\n"}};
  auto quiet = podman_dropin(guard(), layers, kDropIn);
  EXPECT_FALSE(noted(quiet, "is read after"));
}

TEST(InstallPodman, RefusesWhatPodmanCouldNotLoadEither) {
  std::string broken = refusal(guard(), {{{"/etc/containers/containers.conf", sample("containers-conf-broken.conf")}}, {}});
  EXPECT_NE(broken.find("cannot parse /etc/containers/containers.conf:4:"), std::string::npos) << broken;
  EXPECT_NE(broken.find("nothing was changed"), std::string::npos) << broken;
  // A broken later drop-in is refused too (podman would fail on every command).
  EXPECT_NE(refusal(guard(), {{}, {{"/etc/containers/containers.conf.d/zz.conf", "[engine\n"}}})
                .find("cannot parse /etc/containers/containers.conf.d/zz.conf:1:"),
            std::string::npos);
  auto one = [](std::string text) { return PodmanLayers{{{"/etc/containers/containers.conf", std::move(text)}}, {}}; };
  EXPECT_NE(refusal(guard(), one("engine = 1\n")).find("engine is not a table"), std::string::npos);
  EXPECT_NE(refusal(guard(), one("[engine]\nruntime_supports_json = \"runc\"\n"))
                .find("engine.runtime_supports_json is not an array of strings"),
            std::string::npos);
  EXPECT_NE(refusal(guard(), one("[engine]\nruntime_supports_json = [\"runc\", 1]\n")).find("not an array of strings"),
            std::string::npos);
  EXPECT_NE(refusal(guard(), one("[engine]\nruntime = 1\n")).find("engine.runtime is not a string"), std::string::npos);
  EXPECT_NE(refusal(guard(), one("[engine]\nruntimes = []\n")).find("engine.runtimes is not a table"), std::string::npos);
  // Our name already registered before the drop-in: ours would silently replace it.
  EXPECT_NE(refusal(guard(), one("[engine.runtimes]\nrunc-guard = [\"/usr/local/bin/runc-guard\"]\n"))
                .find("/etc/containers/containers.conf already defines runtime \"runc-guard\""),
            std::string::npos);
  EXPECT_NE(refusal({"runc", "/usr/bin/runc-guard", false}, {}).find("reserved"), std::string::npos);
  // containers/common reads only *.conf drop-ins.
  EXPECT_NE(refusal(guard(), {}, "/etc/containers/containers.conf.d/runc-guard.toml").find("only drop-ins named *.conf"),
            std::string::npos);
}

TEST(InstallPodman, PathOutsideTheDropInDirectoryIsNoted) {
  auto edited = podman_dropin(guard(), {}, "/srv/podman/runc-guard.conf");
  EXPECT_TRUE(noted(edited, "/srv/podman/runc-guard.conf takes effect only there"));
}

TEST(InstallPodman, NamesThatNeedQuotingInToml) {
  auto edited = podman_dropin({"guard.v1", "/opt/runc guard/bin", false}, {}, kDropIn);
  auto doc = toml::parse(edited.text);
  const auto* runtimes = doc.at_path("engine.runtimes").as_table();
  ASSERT_TRUE(runtimes);
  ASSERT_TRUE(runtimes->contains("guard.v1")) << edited.text;
  EXPECT_EQ(runtimes->get("guard.v1")->as_array()->at(0).value_or(std::string()), "/opt/runc guard/bin");
  EXPECT_EQ(strings(doc, "engine.runtime_supports_json").back(), "guard.v1");
}

}  // namespace
}  // namespace rg::install
