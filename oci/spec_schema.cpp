#include "oci/spec_schema.h"

#include <array>

namespace rg {
namespace {

using gojson::Field;
using gojson::GoKind;
using gojson::Type;

constexpr Type kAny{GoKind::Any};
constexpr Type kBool{GoKind::Bool};
constexpr Type kString{GoKind::String};
constexpr Type kInt64{GoKind::Int, 64};
constexpr Type kUint32{GoKind::Uint, 32};
constexpr Type kUint64{GoKind::Uint, 64};
constexpr Type kPtrBool{GoKind::Ptr, 64, &kBool};
constexpr Type kPtrInt64{GoKind::Ptr, 64, &kInt64};
constexpr Type kPtrUint32{GoKind::Ptr, 64, &kUint32};
constexpr Type kPtrUint64{GoKind::Ptr, 64, &kUint64};
constexpr Type kStrings{GoKind::Slice, 64, &kString};
constexpr Type kUint32s{GoKind::Slice, 64, &kUint32};
constexpr Type kStringMap{GoKind::Map, 64, &kString};

constexpr Field kUserFields[] = {
    {"uid", &kUint32}, {"gid", &kUint32}, {"umask", &kPtrUint32}, {"additionalGids", &kUint32s}, {"username", &kString}};
constexpr Type kUser{GoKind::Struct, 64, nullptr, kUserFields};

constexpr Field kCapabilityFields[] = {{"bounding", &kStrings},    {"effective", &kStrings}, {"inheritable", &kStrings},
                                       {"permitted", &kStrings}, {"ambient", &kStrings}};
constexpr Type kCapabilities{GoKind::Struct, 64, nullptr, kCapabilityFields};
constexpr Type kPtrCapabilities{GoKind::Ptr, 64, &kCapabilities};

constexpr Field kProcessFields[] = {
    {"terminal", &kBool},        {"consoleSize", &kAny},     {"user", &kUser},
    {"args", &kStrings},         {"commandLine", &kAny},     {"env", &kStrings},
    {"cwd", &kString},           {"capabilities", &kPtrCapabilities}, {"rlimits", &kAny},
    {"noNewPrivileges", &kBool}, {"apparmorProfile", &kString}, {"oomScoreAdj", &kAny},
    {"selinuxLabel", &kString},
};
constexpr Type kProcess{GoKind::Struct, 64, nullptr, kProcessFields};
constexpr Type kPtrProcess{GoKind::Ptr, 64, &kProcess};

constexpr Field kRootFields[] = {{"path", &kString}, {"readonly", &kBool}};
constexpr Type kRoot{GoKind::Struct, 64, nullptr, kRootFields};
constexpr Type kPtrRoot{GoKind::Ptr, 64, &kRoot};

constexpr Field kMountFields[] = {
    {"destination", &kString}, {"type", &kString}, {"source", &kString}, {"options", &kStrings}};
constexpr Type kMount{GoKind::Struct, 64, nullptr, kMountFields};
constexpr Type kMounts{GoKind::Slice, 64, &kMount};

constexpr Field kMemoryFields[] = {
    {"limit", &kPtrInt64},     {"reservation", &kPtrInt64}, {"swap", &kPtrInt64},
    {"kernel", &kPtrInt64},    {"kernelTCP", &kPtrInt64},   {"swappiness", &kPtrUint64},
    {"disableOOMKiller", &kPtrBool},
};
constexpr Type kMemory{GoKind::Struct, 64, nullptr, kMemoryFields};
constexpr Type kPtrMemory{GoKind::Ptr, 64, &kMemory};

constexpr Field kResourcesFields[] = {
    {"devices", &kAny}, {"memory", &kPtrMemory}, {"cpu", &kAny},     {"pids", &kAny},
    {"blockIO", &kAny}, {"hugepageLimits", &kAny}, {"network", &kAny}, {"rdma", &kAny}, {"unified", &kAny},
};
constexpr Type kResources{GoKind::Struct, 64, nullptr, kResourcesFields};
constexpr Type kPtrResources{GoKind::Ptr, 64, &kResources};

constexpr Field kNamespaceFields[] = {{"type", &kString}, {"path", &kString}};
constexpr Type kNamespace{GoKind::Struct, 64, nullptr, kNamespaceFields};
constexpr Type kNamespaces{GoKind::Slice, 64, &kNamespace};

constexpr Field kDeviceFields[] = {{"path", &kString},      {"type", &kString},     {"major", &kInt64}, {"minor", &kInt64},
                                   {"fileMode", &kPtrUint32}, {"uid", &kPtrUint32}, {"gid", &kPtrUint32}};
constexpr Type kDevice{GoKind::Struct, 64, nullptr, kDeviceFields};
constexpr Type kDevices{GoKind::Slice, 64, &kDevice};

constexpr Field kSeccompArgFields[] = {
    {"index", &kUint64}, {"value", &kUint64}, {"valueTwo", &kUint64}, {"op", &kString}};
constexpr Type kSeccompArg{GoKind::Struct, 64, nullptr, kSeccompArgFields};
constexpr Type kSeccompArgs{GoKind::Slice, 64, &kSeccompArg};
constexpr Field kSyscallFields[] = {
    {"names", &kStrings}, {"action", &kString}, {"errnoRet", &kPtrUint64}, {"args", &kSeccompArgs}};
constexpr Type kSyscall{GoKind::Struct, 64, nullptr, kSyscallFields};
constexpr Type kSyscalls{GoKind::Slice, 64, &kSyscall};
constexpr Field kSeccompFields[] = {
    {"defaultAction", &kString}, {"defaultErrnoRet", &kAny}, {"architectures", &kStrings},
    {"flags", &kStrings},        {"listenerPath", &kAny},    {"listenerMetadata", &kAny},
    {"syscalls", &kSyscalls},
};
constexpr Type kSeccomp{GoKind::Struct, 64, nullptr, kSeccompFields};
constexpr Type kPtrSeccomp{GoKind::Ptr, 64, &kSeccomp};

constexpr Field kLinuxFields[] = {
    {"uidMappings", &kAny},        {"gidMappings", &kAny},         {"sysctl", &kAny},
    {"resources", &kPtrResources}, {"cgroupsPath", &kString},      {"namespaces", &kNamespaces},
    {"devices", &kDevices},        {"seccomp", &kPtrSeccomp},      {"rootfsPropagation", &kAny},
    {"maskedPaths", &kStrings},    {"readonlyPaths", &kStrings},   {"mountLabel", &kString},
    {"intelRdt", &kAny},           {"personality", &kAny},
};
constexpr Type kLinux{GoKind::Struct, 64, nullptr, kLinuxFields};
constexpr Type kPtrLinux{GoKind::Ptr, 64, &kLinux};

constexpr Field kSpecFields[] = {
    {"ociVersion", &kAny}, {"process", &kPtrProcess}, {"root", &kPtrRoot},           {"hostname", &kAny},
    {"mounts", &kMounts},  {"hooks", &kAny},          {"annotations", &kStringMap}, {"linux", &kPtrLinux},
};
constexpr Type kSpec{GoKind::Struct, 64, nullptr, kSpecFields};

// `fields` without the one named `name` (a compile error when there is none).
template <std::size_t N>
constexpr std::array<Field, N - 1> without_field(const Field (&fields)[N], std::string_view name) {
  std::array<Field, N - 1> out{};
  std::size_t k = 0;
  for (const Field& f : fields)
    if (f.name != name) out[k++] = f;
  return out;
}
// `fields` with the type of the one named `name` replaced.
template <std::size_t N>
constexpr std::array<Field, N> with_field_type(const Field (&fields)[N], std::string_view name, const Type* type) {
  std::array<Field, N> out{};
  for (std::size_t k = 0; k < N; ++k) out[k] = fields[k].name == name ? Field{fields[k].name, type} : fields[k];
  return out;
}
constexpr auto kLinuxFieldsWithoutSeccomp = without_field(kLinuxFields, "seccomp");
constexpr Type kLinuxWithoutSeccomp{GoKind::Struct, 64, nullptr, kLinuxFieldsWithoutSeccomp};
constexpr Type kPtrLinuxWithoutSeccomp{GoKind::Ptr, 64, &kLinuxWithoutSeccomp};
constexpr auto kSpecFieldsWithoutSeccomp = with_field_type(kSpecFields, "linux", &kPtrLinuxWithoutSeccomp);
constexpr Type kSpecWithoutSeccomp{GoKind::Struct, 64, nullptr, kSpecFieldsWithoutSeccomp};

}  // namespace

const gojson::Type& oci_spec_type() { return kSpec; }
const gojson::Type& oci_spec_type_without_seccomp() { return kSpecWithoutSeccomp; }
const gojson::Type& oci_process_type() { return kProcess; }
const gojson::Type& oci_resources_type() { return kResources; }

}  // namespace rg
