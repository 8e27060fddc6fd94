#pragma once
// One finding of `runc-guardctl doctor`: a stable id, a status, what was seen, one line of advice. The
// doctor's own checks and the guards' node checks (Guard::node_checks) report in this form.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rg {

enum class CheckStatus { Ok, Info, Warn, Fail, Error };
std::string_view status_name(CheckStatus status);

struct CheckResult {
  std::string id;
  CheckStatus status = CheckStatus::Ok;
  std::string evidence;
  std::string advice;
  nlohmann::json data = nlohmann::json::object();

  // `--fix` (or `--unstick`) repaired what was found: Ok, with what was done after the evidence.
  void mark_fixed(std::string_view what_was_done) {
    status = CheckStatus::Ok;
    evidence += "; ";
    evidence += what_was_done;
    advice.clear();
  }
};

}  // namespace rg
