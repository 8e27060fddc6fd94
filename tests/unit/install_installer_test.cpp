// install/uninstall against real files in a private directory: backups, byte-identical restore, dry runs,
// refusals that write nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "install/installer.h"
#include "install_test_util.h"
#include "oci/base/error.h"

namespace rg::install {
namespace {

namespace fs = std::filesystem;

class Installer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rg-installer-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "etc");
  }
  void TearDown() override { fs::remove_all(dir_); }

  InstallRequest install_request(Engine engine, const std::string& file) {
    InstallRequest r;
    r.engine = engine;
    r.config_path = (dir_ / "etc" / file).string();
    r.runtime = {"runc-guard", "/bin/true", false};  // any root-owned executable
    r.state_dir = (dir_ / "state").string();
    return r;
  }
  UninstallRequest uninstall_request(Engine engine, const std::string& file) {
    UninstallRequest r;
    r.engine = engine;
    r.config_path = (dir_ / "etc" / file).string();
    r.state_dir = (dir_ / "state").string();
    return r;
  }
  void put(const std::string& file, const std::string& content, mode_t mode = 0644) {
    write_file_atomic((dir_ / "etc" / file).string(), content, FileOwnership{mode, 0, 0});
  }
  std::string get(const std::string& file) { return read_file((dir_ / "etc" / file).string()); }
  bool exists(const std::string& file) { return fs::exists(dir_ / "etc" / file); }
  mode_t mode_of(const std::string& file) {
    struct stat st {};
    ::stat((dir_ / "etc" / file).c_str(), &st);
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(Installer, DockerInstallThenUninstallIsByteIdentical) {
  std::string original = testing::sample("docker-daemon-production.json");
  put("daemon.json", original, 0640);
  auto outcome = install(install_request(Engine::Docker, "daemon.json"));
  EXPECT_TRUE(outcome.changed);
  EXPECT_NE(get("daemon.json"), original);
  EXPECT_NE(get("daemon.json").find("\"runc-guard\""), std::string::npos);
  EXPECT_EQ(mode_of("daemon.json"), 0640u);
  EXPECT_NE(outcome.diff.find("+        \"runc-guard\": {"), std::string::npos) << outcome.diff;
  auto record = find_install_record(Engine::Docker, (dir_ / "etc/daemon.json").string(), (dir_ / "state").string());
  ASSERT_TRUE(record);
  EXPECT_EQ(record->binary, "/bin/true");

  // Installing the same again is a no-op; a different request is refused.
  EXPECT_FALSE(install(install_request(Engine::Docker, "daemon.json")).changed);
  auto other = install_request(Engine::Docker, "daemon.json");
  other.runtime.as_default = true;
  EXPECT_THROW(install(other), Error);

  auto removed = uninstall(uninstall_request(Engine::Docker, "daemon.json"));
  EXPECT_TRUE(removed.changed);
  EXPECT_EQ(get("daemon.json"), original);
  EXPECT_EQ(mode_of("daemon.json"), 0640u);
  EXPECT_FALSE(find_install_record(Engine::Docker, (dir_ / "etc/daemon.json").string(), (dir_ / "state").string()));
  EXPECT_THROW(uninstall(uninstall_request(Engine::Docker, "daemon.json")), Error);  // nothing installed now
}

TEST_F(Installer, ContainerdSamplesRoundTrip) {
  for (const char* name : {"containerd-1.6-default.toml", "containerd-1.6-kubeadm-systemd.toml",
                           "containerd-2.0-default.toml", "containerd-debian12-package.toml",
                           "containerd-inline-runtimes.toml"}) {
    SCOPED_TRACE(name);
    std::string original = testing::sample(name);
    put("config.toml", original);
    auto request = install_request(Engine::Containerd, "config.toml");
    request.runtime.as_default = true;
    install(request);
    EXPECT_NE(get("config.toml"), original);
    uninstall(uninstall_request(Engine::Containerd, "config.toml"));
    EXPECT_EQ(get("config.toml"), original);
  }
}

TEST_F(Installer, MissingFileIsCreatedAndRemovedAgain) {
  install(install_request(Engine::Containerd, "config.toml"));
  EXPECT_TRUE(exists("config.toml"));
  EXPECT_EQ(mode_of("config.toml"), 0644u);
  uninstall(uninstall_request(Engine::Containerd, "config.toml"));
  EXPECT_FALSE(exists("config.toml"));
}

TEST_F(Installer, CrioDropInIsOursOnly) {
  install(install_request(Engine::Crio, "99-runc-guard.conf"));
  EXPECT_NE(get("99-runc-guard.conf").find("runtime_root = \"/run/runc\""), std::string::npos);
  uninstall(uninstall_request(Engine::Crio, "99-runc-guard.conf"));
  EXPECT_FALSE(exists("99-runc-guard.conf"));
  put("10-operator.conf", "[crio.runtime]\n");
  EXPECT_THROW(install(install_request(Engine::Crio, "10-operator.conf")), Error);
  EXPECT_EQ(get("10-operator.conf"), "[crio.runtime]\n");
}

// podman: our own drop-in in <etc>/containers/containers.conf.d/, computed from the files podman reads first.
class PodmanInstaller : public Installer {
 protected:
  void SetUp() override {
    Installer::SetUp();
    fs::create_directories(dir_ / "etc/containers");
  }
  InstallRequest podman_request() {
    auto r = install_request(Engine::Podman, kDropIn);
    r.podman_distribution_conf = (dir_ / "usr-share-containers.conf").string();
    return r;
  }
  static constexpr const char* kDropIn = "containers/containers.conf.d/99-runc-guard.conf";
};

TEST_F(PodmanInstaller, DropInRoundTripCreatesTheDirectoryPodmanDoesNotShip) {
  put("containers/containers.conf", testing::sample("containers-conf-operator.conf"));
  write_file_atomic((dir_ / "usr-share-containers.conf").string(), testing::sample("containers-common-0.50-containers.conf"));
  ASSERT_FALSE(fs::exists(dir_ / "etc/containers/containers.conf.d"));
  auto outcome = install(podman_request());
  EXPECT_TRUE(outcome.changed);
  EXPECT_NE(outcome.diff.find("+runtime_supports_json = [ \"crun\", \"runc\", \"youki\", \"runc-guard\" ]"),
            std::string::npos) << outcome.diff;
  EXPECT_NE(outcome.diff.find("+runc-guard = [ \"/bin/true\" ]"), std::string::npos) << outcome.diff;
  EXPECT_EQ(mode_of(kDropIn), 0644u);
  EXPECT_FALSE(install(podman_request()).changed);  // same request again: nothing to do

  auto removed = uninstall(uninstall_request(Engine::Podman, kDropIn));
  EXPECT_TRUE(removed.changed);
  EXPECT_FALSE(exists(kDropIn));
  bool warned = false;
  for (const auto& n : removed.notes) warned = warned || n.find("drops them from its database") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_EQ(get("containers/containers.conf"), testing::sample("containers-conf-operator.conf"));
  // The directory install created is gone again: /etc/containers is as it was.
  EXPECT_FALSE(fs::exists(dir_ / "etc/containers/containers.conf.d"));
  EXPECT_TRUE(fs::is_empty(dir_ / "state/podman" / (dir_ / "etc/containers/containers.conf.d").relative_path()));
}

TEST_F(PodmanInstaller, DryRunCreatesNoDirectory) {
  auto request = podman_request();
  request.dry_run = true;
  auto outcome = install(request);
  EXPECT_NE(outcome.diff.find("+++ " + (dir_ / "etc" / kDropIn).string() + " (runc-guard)"), std::string::npos) << outcome.diff;
  EXPECT_FALSE(fs::exists(dir_ / "etc/containers/containers.conf.d"));
  EXPECT_FALSE(fs::exists(dir_ / "state"));
}

TEST_F(PodmanInstaller, DirectoryThatExistedStays) {
  fs::create_directories(dir_ / "etc/containers/containers.conf.d");
  install(podman_request());
  uninstall(uninstall_request(Engine::Podman, kDropIn));
  EXPECT_TRUE(fs::is_directory(dir_ / "etc/containers/containers.conf.d"));
  // A directory install created but someone else's drop-in moved into since: kept, with that drop-in.
  fs::remove(dir_ / "etc/containers/containers.conf.d");
  install(podman_request());
  put("containers/containers.conf.d/zz-other.conf", "[engine]\n");
  uninstall(uninstall_request(Engine::Podman, kDropIn));
  EXPECT_EQ(get("containers/containers.conf.d/zz-other.conf"), "[engine]\n");
}

TEST_F(PodmanInstaller, SiblingDropInsInPodmansOrder) {
  fs::create_directories(dir_ / "etc/containers/containers.conf.d/subdir.conf");  // directories are skipped
  put("containers/containers.conf.d/10-site.conf", "[engine]\nruntime_supports_json = [\"runc\", \"crun\"]\n");
  put("containers/containers.conf.d/98-ignored.txt", "not = [toml");  // not *.conf: podman does not read it
  put("containers/containers.conf.d/zz-late.conf", "[engine]\nruntime_supports_json = [\"runc\"]\n");
  auto outcome = install(podman_request());
  EXPECT_NE(get(kDropIn).find("runtime_supports_json = [ \"runc\", \"crun\", \"runc-guard\" ]"), std::string::npos)
      << get(kDropIn);
  bool noted = false;
  for (const auto& n : outcome.notes) noted = noted || n.find("zz-late.conf is read after") != std::string::npos;
  EXPECT_TRUE(noted);
  uninstall(uninstall_request(Engine::Podman, kDropIn));
  EXPECT_FALSE(exists(kDropIn));
}

TEST_F(PodmanInstaller, RefusalsWriteNothing) {
  // An existing drop-in that is not ours; a broken one has its position named.
  fs::create_directories(dir_ / "etc/containers/containers.conf.d");
  put(kDropIn, "[engine]\nruntime = \"crun\"\n");
  EXPECT_THROW(install(podman_request()), Error);
  put(kDropIn, "[engine\n");
  try {
    install(podman_request());
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("99-runc-guard.conf:1:"), std::string::npos) << e.what();
  }
  EXPECT_EQ(get(kDropIn), "[engine\n");
  fs::remove(dir_ / "etc" / kDropIn);
  // A broken containers.conf: podman cannot run, and we cannot know the list in effect.
  put("containers/containers.conf", testing::sample("containers-conf-broken.conf"));
  try {
    install(podman_request());
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("containers/containers.conf:4:"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(exists(kDropIn));
  EXPECT_FALSE(fs::exists(dir_ / "state"));
  // Refused before the drop-in directory existed: it still does not.
  fs::remove_all(dir_ / "etc/containers/containers.conf.d");
  EXPECT_THROW(install(podman_request()), Error);
  EXPECT_FALSE(fs::exists(dir_ / "etc/containers/containers.conf.d"));
}

TEST_F(PodmanInstaller, EditedAfterInstallNeedsForce) {
  install(podman_request());
  std::string edited = get(kDropIn) + "# operator was here\n";
  put(kDropIn, edited);
  EXPECT_THROW(uninstall(uninstall_request(Engine::Podman, kDropIn)), Error);
  EXPECT_EQ(get(kDropIn), edited);
  auto dry = uninstall_request(Engine::Podman, kDropIn);
  dry.force = true;
  dry.dry_run = true;
  EXPECT_NE(uninstall(dry).diff.find("+++ /dev/null"), std::string::npos);
  EXPECT_TRUE(exists(kDropIn));
  auto forced = uninstall_request(Engine::Podman, kDropIn);
  forced.force = true;
  uninstall(forced);
  EXPECT_FALSE(exists(kDropIn));
}

TEST_F(Installer, DryRunWritesNothing) {
  std::string original = testing::sample("containerd-1.6-default.toml");
  put("config.toml", original);
  auto request = install_request(Engine::Containerd, "config.toml");
  request.dry_run = true;
  auto outcome = install(request);
  EXPECT_TRUE(outcome.changed);
  EXPECT_NE(outcome.diff.find("+[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc-guard]"),
            std::string::npos) << outcome.diff;
  EXPECT_EQ(get("config.toml"), original);
  EXPECT_FALSE(fs::exists(dir_ / "state"));
}

TEST_F(Installer, UnparsableConfigWritesNothing) {
  std::string broken = testing::sample("containerd-broken.toml");
  put("config.toml", broken);
  try {
    install(install_request(Engine::Containerd, "config.toml"));
    FAIL() << "accepted a broken config";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing was changed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(get("config.toml"), broken);
  EXPECT_FALSE(fs::exists(dir_ / "state"));
}

TEST_F(Installer, ChangedAfterInstallNeedsForce) {
  std::string original = testing::sample("docker-daemon-tabs.json");
  put("daemon.json", original);
  install(install_request(Engine::Docker, "daemon.json"));
  std::string edited = get("daemon.json") + "\n";  // the operator touched it since
  put("daemon.json", edited);
  EXPECT_THROW(uninstall(uninstall_request(Engine::Docker, "daemon.json")), Error);
  EXPECT_EQ(get("daemon.json"), edited);
  auto forced = uninstall_request(Engine::Docker, "daemon.json");
  forced.force = true;
  uninstall(forced);
  EXPECT_EQ(get("daemon.json"), original);
}

TEST_F(Installer, StaleRecordFromAnInterruptedInstall) {
  // A crash after the backup was saved but before the config was replaced: the file is still the original.
  std::string original = testing::sample("docker-daemon-compact.json");
  put("daemon.json", original);
  install(install_request(Engine::Docker, "daemon.json"));
  put("daemon.json", original);
  EXPECT_TRUE(install(install_request(Engine::Docker, "daemon.json")).changed);
  uninstall(uninstall_request(Engine::Docker, "daemon.json"));
  EXPECT_EQ(get("daemon.json"), original);
}

TEST_F(Installer, RefusesInsecureOrMissingBinary) {
  auto request = install_request(Engine::Docker, "daemon.json");
  request.runtime.binary = (dir_ / "nope").string();
  EXPECT_THROW(install(request), Error);
  write_file_atomic((dir_ / "writable").string(), "#!/bin/sh\n", FileOwnership{0777, 0, 0});
  request.runtime.binary = (dir_ / "writable").string();
  try {
    install(request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("writable by group or others"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(exists("daemon.json"));
}

TEST_F(Installer, MissingEngineDirectoryIsAClearError) {
  auto request = install_request(Engine::Docker, "daemon.json");
  request.config_path = (dir_ / "no-docker/daemon.json").string();
  try {
    install(request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is docker installed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rg::install
