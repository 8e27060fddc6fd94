// The view of a config.json / process.json / `update -r` document as runc-guard's reader has it
// (Spec::parse → view(), filter_update_resources), printed in the format of the Go oracle
// tests/oracle/specview.go so that tests/integration/json_oracle.sh can compare the two, one line per file.
//
//   spec_view --mode spec|process|resources [--strip-dir DIR] FILE...
//   spec_view --schema spec|process|resources
//
// The view (see specview.go): every key present, null for absent/nil; plain strings/bools of a struct that
// exists print their Go zero value when the document leaves them out; "error": true (all else null) when
// runc-guard refuses the document as undecodable; "_why" is diagnostics, not compared.
//
// --strip-dir DIR: also writes DIR/<n>.json (n = position of FILE in the list, from 0) for every document
// runc-guard reads: what its kernel-memory guards hand to runc with kernel/kernelTCP removed — for spec,
// Spec::remove_fields({"linux","resources","memory"}, {kernel, kernelTCP}) then serialize(), as the kmem spec
// guard flushes it; for resources, filter_update_resources().filtered (the update guard's memfd content).
//
// --schema: the Go types runc-guard models (oci/spec_schema.cpp) as a JSON tree of struct fields:
// "any" for a field read loosely (Go's type is not modelled), a type name otherwise; pointers and slices
// are looked through, as Go's error field paths (UnmarshalTypeError.Field) do.
#include <cstdio>
#include <cstring>
#include <functional>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/gojson.h"
#include "oci/kmem/policy.h"
#include "oci/kmem/update_guard.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace {

using Json = nlohmann::json;
using Ordered = nlohmann::ordered_json;

const char* const kKeys[] = {
    "error", "kernel", "kernelTCP", "memory_limit", "kmem_settings",
    "cwd", "args", "env", "bounding", "effective", "inheritable", "permitted", "ambient",
    "noNewPrivileges", "apparmorProfile",
    "root_path", "masked", "readonly", "mounts",
    "seccomp_default", "seccomp_errno_ret", "seccomp_architectures", "seccomp_flags", "seccomp_syscalls",
    "devices", "cgroupsPath",
};

Json new_view() {
  Json v = Json::object();
  for (const char* k : kKeys) v[k] = nullptr;
  return v;
}

// Ordered → plain json (the output is sorted anyway).
Json plain(const Ordered& o) { return Json::parse(o.dump()); }

const Ordered* member(const Ordered* obj, const char* key) {
  if (!obj || !obj->is_object()) return nullptr;
  auto it = obj->find(key);
  if (it == obj->end() || it->is_null()) return nullptr;
  return &*it;
}

// A field the view leaves absent is nil/unset: null for pointers, slices, maps.
Json or_null(const Ordered* obj, const char* key) {
  const Ordered* m = member(obj, key);
  return m ? plain(*m) : Json(nullptr);
}
// A plain Go string/bool/int of a struct that exists: absent means the zero value.
Json or_zero(const Ordered* obj, const char* key, Json zero) {
  const Ordered* m = member(obj, key);
  return m ? plain(*m) : zero;
}

void memory_view(Json& v, const Ordered* memory) {
  v["kmem_settings"] = memory ? plain(rg::kernel_memory_settings(*memory)) : Json::object();
  if (!memory) return;
  v["kernel"] = or_null(memory, "kernel");
  v["kernelTCP"] = or_null(memory, "kernelTCP");
  v["memory_limit"] = or_null(memory, "limit");
}

void process_view(Json& v, const Ordered* p) {
  if (!p) return;
  v["cwd"] = or_zero(p, "cwd", "");
  v["args"] = or_null(p, "args");
  v["env"] = or_null(p, "env");
  v["noNewPrivileges"] = or_zero(p, "noNewPrivileges", false);
  v["apparmorProfile"] = or_zero(p, "apparmorProfile", "");
  if (const Ordered* c = member(p, "capabilities"))
    for (const char* k : {"bounding", "effective", "inheritable", "permitted", "ambient"}) v[k] = or_null(c, k);
}

Json list_of(const Ordered* list, const std::function<Json(const Ordered*)>& element) {
  if (!list) return nullptr;
  Json out = Json::array();
  for (const auto& e : *list) out.push_back(element(&e));
  return out;
}

void spec_view(Json& v, const Ordered& s) {
  process_view(v, member(&s, "process"));
  if (const Ordered* root = member(&s, "root")) v["root_path"] = or_zero(root, "path", "");
  v["mounts"] = list_of(member(&s, "mounts"), [](const Ordered* m) {
    return Json{{"destination", or_zero(m, "destination", "")}, {"type", or_zero(m, "type", "")},
                {"source", or_zero(m, "source", "")}, {"options", or_null(m, "options")}};
  });
  const Ordered* l = member(&s, "linux");
  // The kmem spec guard's reading: no memory section, no settings.
  const Ordered* memory = l ? member(member(l, "resources"), "memory") : nullptr;
  memory_view(v, memory);
  if (!l) return;
  v["masked"] = or_null(l, "maskedPaths");
  v["readonly"] = or_null(l, "readonlyPaths");
  v["cgroupsPath"] = or_zero(l, "cgroupsPath", "");
  v["devices"] = list_of(member(l, "devices"), [](const Ordered* d) {
    return Json{{"path", or_zero(d, "path", "")}, {"type", or_zero(d, "type", "")},
                {"major", or_zero(d, "major", 0)}, {"minor", or_zero(d, "minor", 0)}};
  });
  if (const Ordered* sc = member(l, "seccomp")) {
    v["seccomp_default"] = or_zero(sc, "defaultAction", "");
    v["seccomp_errno_ret"] = or_null(sc, "defaultErrnoRet");
    v["seccomp_architectures"] = or_null(sc, "architectures");
    v["seccomp_flags"] = or_null(sc, "flags");
    v["seccomp_syscalls"] = list_of(member(sc, "syscalls"), [](const Ordered* sys) {
      return Json{{"names", or_null(sys, "names")},
                  {"action", or_zero(sys, "action", "")},
                  {"errnoRet", or_null(sys, "errnoRet")},
                  {"args", list_of(member(sys, "args"), [](const Ordered* a) {
                     return Json{{"index", or_zero(a, "index", 0)}, {"value", or_zero(a, "value", 0)},
                                 {"valueTwo", or_zero(a, "valueTwo", 0)}, {"op", or_zero(a, "op", "")}};
                   })}};
    });
  }
}

Json refused(const std::string& why) {
  Json v = new_view();
  v["error"] = true;
  v["_why"] = {{"runc_guard_error", why}};
  return v;
}

const rg::gojson::Type& type_for(const std::string& mode) {
  if (mode == "process") return rg::oci_process_type();
  if (mode == "resources") return rg::oci_resources_type();
  return rg::oci_spec_type();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

Json view_of(const std::string& mode, const std::string& path, const std::string& strip_to) {
  const std::string text = rg::read_file(path);
  Json v = new_view();
  try {
    rg::Spec spec = rg::Spec::parse(text, path, type_for(mode));
    if (mode == "spec") {
      spec_view(v, spec.view());
      if (!strip_to.empty()) {
        spec.remove_fields({"linux", "resources", "memory"}, {rg::kKernelMemoryFields[0], rg::kKernelMemoryFields[1]});
        write_text(strip_to, spec.serialize());
      }
    } else if (mode == "process") {
      process_view(v, &spec.view());
    } else {
      memory_view(v, member(&spec.view(), "memory"));
      // The update guard's own reading must be the same as Spec's, and its settings what the view says.
      rg::UpdateResources filtered = rg::filter_update_resources(text);
      if (!filtered.parsed) return refused("filter_update_resources refuses what Spec::parse reads: " + filtered.problem);
      if (plain(filtered.kernel_settings) != v["kmem_settings"])
        return refused("filter_update_resources found " + filtered.kernel_settings.dump() + ", the view " +
                       v["kmem_settings"].dump());
      if (!strip_to.empty()) write_text(strip_to, filtered.filtered);
    }
  } catch (const rg::Error& e) {
    if (!e.is_undecodable()) throw;
    if (mode == "resources") {
      rg::UpdateResources filtered = rg::filter_update_resources(text);
      if (filtered.parsed) return refused(std::string("Spec::parse refuses what filter_update_resources reads: ") + e.what());
    }
    return refused(e.what());
  }
  return v;
}

Json schema_of(const rg::gojson::Type& t) {
  using rg::gojson::GoKind;
  switch (t.kind) {
    case GoKind::Any: return "any";
    case GoKind::Bool: return "bool";
    case GoKind::Int: return "int" + std::to_string(t.bits);
    case GoKind::Uint: return "uint" + std::to_string(t.bits);
    case GoKind::String: return "string";
    case GoKind::Ptr:
    case GoKind::Slice: return schema_of(*t.elem);
    case GoKind::Map: return "map";
    case GoKind::Struct: {
      Json fields = Json::object();
      for (const auto& f : t.fields) fields[std::string(f.name)] = schema_of(*f.type);
      return fields;
    }
  }
  return "any";
}

int usage() {
  std::cerr << "usage: spec_view --mode spec|process|resources [--strip-dir DIR] FILE...\n"
               "       spec_view --schema spec|process|resources\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "spec";
  std::string strip_dir;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--mode" || a == "--schema" || a == "--strip-dir") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (a == "--strip-dir") {
        strip_dir = value;
        continue;
      }
      if (value != "spec" && value != "process" && value != "resources") return usage();
      mode = value;
      if (a == "--schema") {
        std::cout << schema_of(type_for(mode)).dump() << "\n";
        return 0;
      }
    } else if (a.rfind("--", 0) == 0) {
      return usage();
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage();
  try {
    for (std::size_t n = 0; n < files.size(); ++n) {
      const std::string strip_to = strip_dir.empty() ? "" : strip_dir + "/" + std::to_string(n) + ".json";
      std::cout << view_of(mode, files[n], strip_to).dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "spec_view: " << e.what() << "\n";
    return 2;
  }
  std::cout.flush();
  return std::cout ? 0 : 2;
}
