#include <gtest/gtest.h>

#include <toml++/toml.h>

#include "install/diff.h"
#include "install/engine_configs.h"
#include "install_test_util.h"
#include "oci/base/error.h"

namespace rg::install {
namespace {

using testing::sample;

RuntimeRegistration guard(bool as_default = false) { return {"runc-guard", "/usr/bin/runc-guard", as_default}; }

const toml::table& at(const toml::table& root, std::initializer_list<std::string_view> keys) {
  const toml::table* t = &root;
  for (auto k : keys) {
    t = t->get_as<toml::table>(k);
    if (!t) throw std::runtime_error("missing table " + std::string(k));
  }
  return *t;
}

std::string str(const toml::table& t, std::string_view key) { return t.get_as<std::string>(key) ? t.get_as<std::string>(key)->get() : "<missing>"; }

TEST(InstallContainerd, Version2AppendsRuntimeCopyingRuncSettings) {
  std::string original = sample("containerd-1.6-kubeadm-systemd.toml");
  auto edited = add_containerd_runtime(original, guard(), "/etc/containerd/config.toml");
  // The operator's file, comments included, is untouched: we only appended.
  ASSERT_EQ(edited.text.substr(0, original.size()), original);
  auto doc = toml::parse(edited.text);
  const auto& rt = at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "runc-guard"});
  EXPECT_EQ(str(rt, "runtime_type"), "io.containerd.runc.v2");
  const auto& options = at(rt, {"options"});
  EXPECT_EQ(str(options, "BinaryName"), "/usr/bin/runc-guard");
  EXPECT_EQ(options.get_as<bool>("SystemdCgroup")->get(), true);
  EXPECT_EQ(str(options, "Root"), "/run/containerd/runc");
  // Default runtime untouched without --as-default.
  EXPECT_EQ(str(at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd"}), "default_runtime_name"), "runc");
  // runc itself is unchanged.
  EXPECT_EQ(str(at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "runc", "options"}), "BinaryName"), "");
}

TEST(InstallContainerd, AsDefaultChangesOnlyTheValue) {
  std::string original = sample("containerd-1.6-default.toml");
  auto edited = add_containerd_runtime(original, guard(true), "config.toml");
  auto doc = toml::parse(edited.text);
  EXPECT_EQ(str(at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd"}), "default_runtime_name"), "runc-guard");
  std::string diff = unified_diff(original, edited.text, "a", "b");
  EXPECT_NE(diff.find("-      default_runtime_name = \"runc\"\n+      default_runtime_name = \"runc-guard\"\n"),
            std::string::npos) << diff;
  // Exactly one existing line removed: everything else is appended.
  std::size_t removed = 0;
  for (std::size_t pos = 0; (pos = diff.find("\n-", pos)) != std::string::npos; ++pos) ++removed;
  EXPECT_EQ(removed, 1u) << diff;
}

TEST(InstallContainerd, DebianPackageConfigWithoutRuntimesSection) {
  // Debian's config.toml declares only cni and opt: no runc runtime to copy, no containerd section.
  std::string original = sample("containerd-debian12-package.toml");
  auto edited = add_containerd_runtime(original, guard(true), "config.toml");
  ASSERT_EQ(edited.text.substr(0, original.size()), original);
  auto doc = toml::parse(edited.text);
  const auto& containerd = at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd"});
  EXPECT_EQ(str(containerd, "default_runtime_name"), "runc-guard");
  EXPECT_EQ(str(at(containerd, {"runtimes", "runc-guard", "options"}), "BinaryName"), "/usr/bin/runc-guard");
  EXPECT_EQ(str(at(doc, {"plugins", "io.containerd.grpc.v1.cri", "cni"}), "bin_dir"), "/usr/lib/cni");
}

TEST(InstallContainerd, Version3ForContainerd2) {
  std::string original = sample("containerd-2.0-default.toml");
  auto edited = add_containerd_runtime(original, guard(true), "config.toml");
  auto doc = toml::parse(edited.text);
  const auto& containerd = at(doc, {"plugins", "io.containerd.cri.v1.runtime", "containerd"});
  EXPECT_EQ(str(containerd, "default_runtime_name"), "runc-guard");
  const auto& rt = at(containerd, {"runtimes", "runc-guard"});
  EXPECT_EQ(str(rt, "sandboxer"), "podsandbox");  // copied from runc
  EXPECT_EQ(at(rt, {"options"}).get_as<bool>("SystemdCgroup")->get(), true);
  EXPECT_EQ(str(at(rt, {"options"}), "BinaryName"), "/usr/bin/runc-guard");
  EXPECT_FALSE(doc.at_path("plugins").as_table()->contains("io.containerd.grpc.v1.cri") &&
               at(doc, {"plugins", "io.containerd.grpc.v1.cri"}).contains("containerd"));
}

TEST(InstallContainerd, MissingOrEmptyFileBecomesVersion2) {
  for (std::optional<std::string_view> original : {std::optional<std::string_view>(), std::optional<std::string_view>("# nothing yet\n")}) {
    auto edited = add_containerd_runtime(original, guard(), "config.toml");
    auto doc = toml::parse(edited.text);
    EXPECT_EQ(doc.get_as<int64_t>("version")->get(), 2);
    EXPECT_EQ(str(at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "runc-guard", "options"}),
                  "BinaryName"),
              "/usr/bin/runc-guard");
  }
}

TEST(InstallContainerd, InlineRuntimesAreReserialisedWithANote) {
  auto edited = add_containerd_runtime(sample("containerd-inline-runtimes.toml"), guard(), "config.toml");
  auto doc = toml::parse(edited.text);
  const auto& runtimes = at(doc, {"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"});
  EXPECT_EQ(at(runtimes, {"runc-guard", "options"}).get_as<bool>("SystemdCgroup")->get(), true);
  EXPECT_TRUE(runtimes.contains("runc"));
  bool noted = false;
  for (const auto& n : edited.notes) noted = noted || n.find("comments and layout are not kept") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(InstallContainerd, RefusesWhatItCannotSafelyEdit) {
  auto refusal = [](const std::string& text) -> std::string {
    try {
      add_containerd_runtime(text, guard(), "/etc/containerd/config.toml");
    } catch (const Error& e) {
      EXPECT_TRUE(e.is_refusal());
      return e.what();
    }
    return "accepted";
  };
  std::string broken = refusal(sample("containerd-broken.toml"));
  EXPECT_NE(broken.find("cannot parse /etc/containerd/config.toml:4:"), std::string::npos) << broken;
  EXPECT_NE(refusal(sample("containerd-v1-legacy.toml")).find("version 1 config"), std::string::npos);
  EXPECT_NE(refusal("version = 4\n").find("version 4"), std::string::npos);
  EXPECT_NE(refusal("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\ncontainerd = 1\n").find("is not a table"),
            std::string::npos);
  auto installed = add_containerd_runtime(sample("containerd-1.6-default.toml"), guard(), "c.toml");
  EXPECT_NE(refusal(installed.text).find("already defines runtime \"runc-guard\""), std::string::npos);
}

TEST(InstallCrio, DropInSetsPathTypeAndRoot) {
  auto dropin = crio_dropin(guard());
  auto doc = toml::parse(dropin.text);
  const auto& handler = at(doc, {"crio", "runtime", "runtimes", "runc-guard"});
  EXPECT_EQ(str(handler, "runtime_path"), "/usr/bin/runc-guard");
  EXPECT_EQ(str(handler, "runtime_type"), "oci");
  EXPECT_EQ(str(handler, "runtime_root"), "/run/runc");
  EXPECT_FALSE(at(doc, {"crio", "runtime"}).contains("default_runtime"));
  auto as_default = toml::parse(crio_dropin(guard(true)).text);
  EXPECT_EQ(str(at(as_default, {"crio", "runtime"}), "default_runtime"), "runc-guard");
}

TEST(InstallDiff, UnifiedDiffLikeDiffU) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
  EXPECT_EQ(unified_diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nfive\n6\n7\n8\n", "old", "new"),
            "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  EXPECT_EQ(unified_diff("", "x\n", "/dev/null", "f"), "--- /dev/null\n+++ f\n@@ -0,0 +1 @@\n+x\n");
  EXPECT_EQ(unified_diff("a", "a\n", "o", "n"), "--- o\n+++ n\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
}

}  // namespace
}  // namespace rg::install
