#pragma once
// The unit tests' temporary directory: created fresh (0755, so root-owned files in it pass StrictModes
// checks), removed with everything in it on scope exit.
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rg::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "rg-test") {
    std::string tmpl = "/tmp/" + std::string(prefix) + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }
  std::string file(std::string_view name) const { return *this / name; }
  // Writes `content` to <dir>/name with `mode`; returns the path.
  std::string file(std::string_view name, const std::string& content, mode_t mode = 0644) const {
    std::string p = *this / name;
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::string path_;
};

}  // namespace rg::test
