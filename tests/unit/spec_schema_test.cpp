// The spec read without linux.seccomp (for invocations whose guards never read the filter): everything else
// reads exactly as with the whole spec, the document that may be written back keeps the filter, and a guard
// that reads the filter refuses to work from such a read.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/guard/guard.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"
#include "seccomp/hazard_guard.h"
#include "temp_dir.h"

namespace rg {
std::unique_ptr<Guard> make_clone3_enosys_guard();

namespace {

std::vector<std::string> docker_configs() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RG_SHARED_TESTDATA) + "/docker-20.10"))
    if (e.path().string().ends_with(".config.json")) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SpecWithoutSeccomp, ReadsEverythingElseAsTheWholeSpecDoes) {
  const auto configs = docker_configs();
  ASSERT_GE(configs.size(), 3u);
  for (const std::string& path : configs) {
    SCOPED_TRACE(path);
    const Spec whole = Spec::load(path);
    const Spec narrow = Spec::load(path, oci_spec_type_without_seccomp());
    ASSERT_TRUE(whole.view()["linux"].contains("seccomp"));
    nlohmann::ordered_json expected = whole.view();
    expected["linux"].erase("seccomp");
    EXPECT_EQ(narrow.view(), expected);
    EXPECT_EQ(narrow.serialize(), whole.serialize());  // what a rewrite would write: the filter included
    EXPECT_EQ(&narrow.type(), &oci_spec_type_without_seccomp());
  }
}

TEST(SpecWithoutSeccomp, AnEditKeepsTheFilterInTheDocument) {
  const std::string path = std::string(RG_SHARED_TESTDATA) + "/docker-20.10/kmem.config.json";
  Spec whole = Spec::load(path);
  Spec narrow = Spec::load(path, oci_spec_type_without_seccomp());
  ASSERT_TRUE(whole.remove_fields({"linux", "resources", "memory"}, {"kernel", "kernelTCP"}));
  ASSERT_TRUE(narrow.remove_fields({"linux", "resources", "memory"}, {"kernel", "kernelTCP"}));
  EXPECT_EQ(narrow.serialize(), whole.serialize());
  EXPECT_FALSE(narrow.view()["linux"].contains("seccomp"));
}

// runc refuses such a filter itself (its decoder fails); read without it, nothing of ours looks at it.
TEST(SpecWithoutSeccomp, AFilterRuncCannotDecodeIsLeftToRunc) {
  const std::string text = R"({"ociVersion": "1.0.2", "linux": {"cgroupsPath": "/a", "seccomp": {"syscalls": "x"}}})";
  EXPECT_THROW(Spec::parse(text, "config.json"), Error);
  const Spec narrow = Spec::parse(text, "config.json", oci_spec_type_without_seccomp());
  EXPECT_EQ(narrow.view()["linux"]["cgroupsPath"], "/a");
}

// The guards that read the filter say so (the runtime then reads the whole spec), and throw rather than
// find "no filter" in a spec read without it.
TEST(SpecWithoutSeccomp, GuardsThatReadTheFilterRefuseANarrowRead) {
  test::TempDir tmp;
  std::filesystem::create_directories(tmp / "bundle");
  std::filesystem::copy_file(std::string(RG_SHARED_TESTDATA) + "/docker-20.10/default.config.json", tmp / "bundle/config.json");
  for (auto make : {make_clone3_enosys_guard, make_seccomp_hazard_guard}) {
    auto guard = make();
    SCOPED_TRACE(std::string(guard->name()));
    EXPECT_TRUE(guard->reads_seccomp());
    Config config;
    RuncLog log("", "json");
    EventLog events("", "create", "c1");
    InvocationContext ctx(config, {"runc", "create", "--bundle", tmp / "bundle", "c1"}, log, events);
    ctx.spec_type = &oci_spec_type_without_seccomp();
    EXPECT_THROW(guard->before_runc(ctx), std::logic_error);
  }
}

}  // namespace
}  // namespace rg
