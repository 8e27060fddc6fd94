#include "install/installer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "install/diff.h"
#include "install/toml_parse.h"
#include "oci/guard/config.h"
#include "oci/base/error.h"
#include "oci/base/text.h"
#include "oci/base/files.h"

namespace rg::install {
namespace {

using Json = nlohmann::json;

struct CurrentFile {
  std::optional<std::string> content;  // nullopt: the file does not exist
  FileOwnership ownership{0644, 0, 0};
};

CurrentFile read_current(const std::string& path) {
  CurrentFile file;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return file;
    throw Error::refusal(Error::from_errno("cannot read " + path).what());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error::from_errno("stat " + path);
  if (!S_ISREG(st.st_mode)) throw Error::refusal(path + " is not a regular file; nothing was changed");
  file.content = read_fd(fd.get(), path);
  file.ownership = {static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
  return file;
}

std::optional<std::string> read_if_exists(const std::string& path) { return read_current(path).content; }

// <state>/<engine>/<config path>.{json,orig,installed}: one record per engine config file.
struct RecordPaths {
  std::string base;
  std::string record() const { return base + ".json"; }
  std::string original() const { return base + ".orig"; }
  std::string installed() const { return base + ".installed"; }
};

RecordPaths record_paths(const std::string& state_dir, Engine engine, const std::string& config_path) {
  return {state_dir + "/" + std::string(engine_name(engine)) + config_path};
}

void make_private_dirs(const std::string& dir) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) throw Error::from_errno("mkdir " + partial);
  }
}

// Whether the config file's directory still has to be created (it is, only once nothing can be refused any
// more and not on --dry-run). Refuses when the engine does not look configured on this node.
bool parent_dir_missing(const std::string& path, Engine engine) {
  std::string dir = dirname_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
  if (engine == Engine::Crio || engine == Engine::Podman) {
    // CRI-O and podman read their drop-in directory only if it exists (podman's package does not create
    // /etc/containers/containers.conf.d/); create it when the engine itself is configured here.
    struct stat etc {};
    std::string engine_etc = dirname_of(dir);
    if (::stat(engine_etc.c_str(), &etc) == 0 && S_ISDIR(etc.st_mode)) return true;
  }
  throw Error::refusal("directory " + dir + " does not exist: is " + std::string(engine_name(engine)) +
                       " installed on this node? (or pass --config PATH)");
}

void require_runtime_binary(const std::string& binary) {
  if (binary.empty() || binary.front() != '/') throw Error::refusal("runtime binary must be an absolute path: " + binary);
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) throw Error::refusal(Error::from_errno("runtime binary " + binary).what());
  if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
    throw Error::refusal("runtime binary " + binary + " is not an executable file");
  // The engines run it as root for every container: the same StrictModes rule as for runc itself.
  require_secure_stat(st, binary, "runtime binary");
}

// The containers.conf files podman 4.x reads around the drop-in `path`: the distribution's file, the
// containers.conf the drop-in directory belongs to (/etc/containers/containers.conf for
// /etc/containers/containers.conf.d/), then the directory's *.conf files in byte order (Go's sort.Strings).
PodmanLayers podman_layers(const std::string& path, const std::string& distribution_conf) {
  PodmanLayers layers;
  auto add = [](std::vector<ContainersConfFile>& to, const std::string& file) {
    if (auto text = read_if_exists(file)) to.push_back({file, std::move(*text)});
  };
  if (!distribution_conf.empty()) add(layers.before, distribution_conf);
  const std::string dir = dirname_of(path);
  if (!dir.ends_with("/containers.conf.d")) return layers;  // not a directory podman reads drop-ins from
  add(layers.before, dir.substr(0, dir.size() - 2));
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      struct stat st {};
      if (!name.ends_with(".conf") || ::stat((dir + "/" + name).c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
      names.push_back(std::move(name));
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());  // std::string compares as unsigned bytes, like Go
  const std::string ours = path.substr(dir.size() + 1);
  for (const auto& name : names) {
    if (name < ours) add(layers.before, dir + "/" + name);
    if (name > ours) add(layers.after, dir + "/" + name);
  }
  return layers;
}

EditedConfig edit_for(const InstallRequest& request, const std::optional<std::string>& original,
                      const std::string& path) {
  switch (request.engine) {
    case Engine::Docker:
      return add_docker_runtime(original ? std::optional<std::string_view>(*original) : std::nullopt,
                                request.runtime, path);
    case Engine::Containerd:
      return add_containerd_runtime(original ? std::optional<std::string_view>(*original) : std::nullopt,
                                    request.runtime, path);
    case Engine::Crio:
      return crio_dropin(request.runtime);
    case Engine::Podman:
      return podman_dropin(request.runtime, podman_layers(path, request.podman_distribution_conf), path);
  }
  throw Error("unknown engine");
}

std::string diff_of(const std::optional<std::string>& before, const std::optional<std::string>& after,
                    const std::string& path) {
  return unified_diff(before.value_or(""), after.value_or(""), before ? path : "/dev/null",
                      after ? path + " (runc-guard)" : "/dev/null");
}

struct LoadedRecord {
  InstallRecord info;
  FileOwnership original_ownership{0644, 0, 0};
  bool created_dir = false;  // install created the file's directory (a drop-in directory)
  std::optional<std::string> original;
  std::string installed;
};

std::optional<LoadedRecord> load_record(const RecordPaths& paths, Engine engine, const std::string& config_path) {
  auto record_text = read_if_exists(paths.record());
  if (!record_text) return std::nullopt;
  LoadedRecord loaded;
  try {
    Json j = Json::parse(*record_text);
    loaded.info = {engine,
                   config_path,
                   j.at("runtime_name").get<std::string>(),
                   j.at("binary").get<std::string>(),
                   j.at("as_default").get<bool>(),
                   j.at("original_existed").get<bool>()};
    loaded.original_ownership = {j.at("original_mode").get<mode_t>(), j.at("original_uid").get<uid_t>(),
                                 j.at("original_gid").get<gid_t>()};
    loaded.created_dir = j.value("created_dir", false);  // absent in records of older installs
  } catch (const Json::exception& e) {
    throw Error::refusal("install record " + paths.record() + " is damaged (" + e.what() + "); the backup of " +
                         config_path + " is " + paths.original());
  }
  if (loaded.info.original_existed) {
    loaded.original = read_if_exists(paths.original());
    if (!loaded.original)
      throw Error::refusal("backup " + paths.original() + " of " + config_path + " is missing; refusing to guess");
  }
  auto installed = read_if_exists(paths.installed());
  if (!installed) throw Error::refusal("install record " + paths.installed() + " is missing; refusing to guess");
  loaded.installed = std::move(*installed);
  return loaded;
}

void remove_record(const RecordPaths& paths) {
  for (const auto& p : {paths.installed(), paths.original(), paths.record()}) ::unlink(p.c_str());
}

}  // namespace

// Install records are JSON: a path that is not UTF-8 could not be recorded faithfully (nor an engine's
// config name it reliably), so it is refused up front.
void require_utf8(const std::string& value, std::string_view what) {
  if (!valid_utf8(value)) throw Error::refusal(std::string(what) + " " + printable(value) + " is not valid UTF-8");
}

Outcome install(const InstallRequest& request) {
  const std::string path = absolute_path(request.config_path.empty() ? default_config_path(request.engine) : request.config_path);
  require_utf8(path, "engine config");
  require_utf8(request.runtime.binary, "runtime binary");
  require_utf8(request.runtime.name, "runtime name");
  require_runtime_binary(request.runtime.binary);
  const bool create_dir = parent_dir_missing(path, request.engine);
  CurrentFile current = read_current(path);
  RecordPaths paths = record_paths(request.state_dir, request.engine, path);
  Outcome outcome{path, false, {}, {}};

  if (auto previous = load_record(paths, request.engine, path)) {
    bool same_request = previous->info.runtime_name == request.runtime.name &&
                        previous->info.binary == request.runtime.binary &&
                        previous->info.as_default == request.runtime.as_default;
    if (current.content == previous->installed) {
      if (!same_request)
        throw Error::refusal("runc-guard is already installed in " + path + " as \"" + previous->info.runtime_name +
                             "\" (binary " + previous->info.binary + (previous->info.as_default ? ", default" : "") +
                             "); run runc-guardctl uninstall " + std::string(engine_name(request.engine)) + " first");
      outcome.notes.push_back("already installed in " + path + "; nothing to do");
      return outcome;
    }
    // A crash between saving the backup and replacing the file leaves a record of an install that never
    // happened: the file is still the original, so start over.
    if (current.content != previous->original) {
      throw Error::refusal(path + " was changed after runc-guard was installed (record in " + paths.record() +
                           "); run runc-guardctl uninstall " + std::string(engine_name(request.engine)) + " first");
    }
    if (!request.dry_run) remove_record(paths);
  }
  if ((request.engine == Engine::Crio || request.engine == Engine::Podman) && current.content) {
    if (request.engine == Engine::Podman) parse_toml(*current.content, path);  // a broken file: name the position
    throw Error::refusal(path + " already exists and was not written by runc-guardctl; choose another --config");
  }

  EditedConfig edited = edit_for(request, current.content, path);
  outcome.changed = true;
  outcome.diff = diff_of(current.content, edited.text, path);
  outcome.notes = std::move(edited.notes);
  if (request.dry_run) return outcome;

  // Backup and record first: once the new file is in place, uninstall can always find the way back.
  make_private_dirs(dirname_of(paths.base));
  const FileOwnership private_file{0600, 0, 0};
  if (current.content) write_file_atomic(paths.original(), *current.content, private_file);
  write_file_atomic(paths.installed(), edited.text, private_file);
  Json record = {{"engine", engine_name(request.engine)},
                 {"config", path},
                 {"runtime_name", request.runtime.name},
                 {"binary", request.runtime.binary},
                 {"as_default", request.runtime.as_default},
                 {"original_existed", current.content.has_value()},
                 {"original_mode", current.ownership.mode},
                 {"original_uid", current.ownership.uid},
                 {"original_gid", current.ownership.gid},
                 {"created_dir", create_dir},
                 {"installed_at", std::time(nullptr)}};
  write_file_atomic(paths.record(), record.dump(2) + "\n", private_file);

  if (create_dir && ::mkdir(dirname_of(path).c_str(), 0755) != 0 && errno != EEXIST)
    throw Error::from_errno("mkdir " + dirname_of(path));

  write_file_atomic(path, edited.text, current.content ? std::optional<FileOwnership>(current.ownership)
                                                       : std::optional<FileOwnership>(FileOwnership{0644, 0, 0}),
                    Symlink::WriteTarget);
  if (current.content) outcome.notes.push_back("backup of the original: " + paths.original());
  return outcome;
}

Outcome uninstall(const UninstallRequest& request) {
  const std::string path = absolute_path(request.config_path.empty() ? default_config_path(request.engine) : request.config_path);
  RecordPaths paths = record_paths(request.state_dir, request.engine, path);
  auto record = load_record(paths, request.engine, path);
  if (!record)
    throw Error::refusal("runc-guard is not installed in " + path + " (no install record " + paths.record() + ")");
  CurrentFile current = read_current(path);
  Outcome outcome{path, false, {}, {}};

  if (current.content == record->original) {
    outcome.notes.push_back(path + " is already the original; removed the stale install record");
    if (!request.dry_run) remove_record(paths);
    return outcome;
  }
  if (current.content != record->installed && !request.force)
    throw Error::refusal(path + " was changed after runc-guard was installed; restoring the backup would lose "
                         "those changes. Compare it with the backup " +
                         (record->original ? paths.original() : std::string("(the file did not exist)")) +
                         ", then rerun with --force to restore it, or remove the runtime by hand");

  outcome.changed = true;
  outcome.diff = diff_of(current.content, record->original, path);
  if (request.dry_run) return outcome;
  if (record->original) {
    write_file_atomic(path, *record->original, record->original_ownership, Symlink::WriteTarget);
  } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw Error::from_errno("remove " + path);
  }
  remove_record(paths);
  outcome.notes.push_back(record->original ? "restored the original " + path : "removed " + path +
                                                                                  " (it did not exist before install)");
  // The drop-in directory install created goes too, unless something else was put there since.
  if (!record->original && record->created_dir && ::rmdir(dirname_of(path).c_str()) == 0)
    outcome.notes.push_back("removed " + dirname_of(path) + " (created by install)");
  std::vector<std::string> next_steps;
  switch (request.engine) {
    case Engine::Docker:
      next_steps = docker_uninstall_notes(record->original ? std::optional<std::string_view>(*record->original)
                                                           : std::nullopt,
                                          record->info.as_default);
      break;
    case Engine::Containerd:
      next_steps = {"restart containerd (systemctl restart containerd) so it forgets the runtime; running "
                    "containers are not affected"};
      break;
    case Engine::Crio:
      next_steps = {"restart CRI-O (systemctl restart crio) so it forgets the runtime"};
      break;
    case Engine::Podman:
      next_steps = {"podman reads its configuration on every command: nothing to restart",
                    "containers created with runtime \"" + record->info.runtime_name + "\" keep that name: once it "
                    "is unregistered podman cannot stop them, and `podman rm -f` drops them from its database while "
                    "they keep running. Remove them before uninstalling (podman ps -a --format "
                    "'{{.ID}} {{.Names}}' lists them; podman inspect --format '{{.OCIRuntime}}' shows the runtime), "
                    "or reinstall and remove them"};
      break;
  }
  outcome.notes.insert(outcome.notes.end(), next_steps.begin(), next_steps.end());
  return outcome;
}

std::optional<InstallRecord> find_install_record(Engine engine, const std::string& config_path,
                                                 const std::string& state_dir) {
  std::string path = absolute_path(config_path.empty() ? default_config_path(engine) : config_path);
  auto record = load_record(record_paths(state_dir, engine, path), engine, path);
  if (!record) return std::nullopt;
  return record->info;
}

}  // namespace rg::install
