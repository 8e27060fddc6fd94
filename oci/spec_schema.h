#pragma once
// The Go types runc decodes config.json, process.json (exec -p) and `update -r` documents into
// (opencontainers/runtime-spec specs-go 1.0.x, as runc 1.0–1.1 vendor it), as far as runc-guard reads them.
// Fields runc-guard does not read are left out (Go ignores unknown keys too) or described as Any.
#include "oci/gojson.h"

namespace rg {

const gojson::Type& oci_spec_type();       // specs.Spec
// specs.Spec read without linux.seccomp (skipped as Go skips an unknown key): for invocations whose guards
// never read the filter, which is half of what decoding docker's config costs.
const gojson::Type& oci_spec_type_without_seccomp();
const gojson::Type& oci_process_type();    // specs.Process
const gojson::Type& oci_resources_type();  // specs.LinuxResources

}  // namespace rg
