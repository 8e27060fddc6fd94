// specview: the Go oracle for runc-guard's Go-compatible JSON reader (oci/gojson.h).
//
// Reads each FILE the way runc does — json.NewDecoder(f).Decode(&v) with v of the runtime-spec Go type
// runc decodes that document into — and prints one line of JSON per file: the "view", the values
// runc-guard's guards read (kernel memory, process, root, mounts, masked/readonly paths, seccomp,
// devices, cgroupsPath). tests/helpers/spec_view.cpp prints the same view from runc-guard's reader;
// tests/integration/json_oracle.sh compares the two.
//
//	specview -mode spec|process|resources FILE...
//
// Modes (runc's own decode calls):
//
//	spec       config.json: var spec *specs.Spec; Decode(&spec) (runc's loadSpec). A document that
//	           decodes to a nil spec (top-level null) is refused by runc ("config cannot be null", or
//	           a nil dereference in older releases), so it counts as an error here.
//	process    runc exec -p process.json: var p specs.Process; Decode(&p).
//	resources  runc update -r: Decode(&r) into a specs.LinuxResources. runc pre-fills r with empty
//	           Memory/CPU/BlockIO/Pids structs (zero-valued pointers in 1.0/1.1) before decoding; that
//	           only turns absent members into zeros, so r is decoded fresh here and the view keeps
//	           absent (null) apart from zero.
//
// View: every key is always present; absent or nil is null. Plain (non-pointer) Go strings and bools
// of a struct that exists print their value, zero included ("" / false), because Go cannot tell a
// missing member from a zero one. "error" is true when runc refuses the document (Decode returned an
// error); everything else is then null. "_why" is diagnostics (the Go error, and for type errors the
// field path) that the comparison leaves out.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type view map[string]interface{}

var keys = []string{
	"error", "kernel", "kernelTCP", "memory_limit", "kmem_settings",
	"cwd", "args", "env", "bounding", "effective", "inheritable", "permitted", "ambient",
	"noNewPrivileges", "apparmorProfile",
	"root_path", "masked", "readonly", "mounts",
	"seccomp_default", "seccomp_errno_ret", "seccomp_architectures", "seccomp_flags", "seccomp_syscalls",
	"devices", "cgroupsPath",
}

func newView() view {
	v := view{}
	for _, k := range keys {
		v[k] = nil
	}
	return v
}

// strs keeps Go's nil/empty distinction: nil → null, []string{} → [].
func strs(s []string) interface{} {
	if s == nil {
		return nil
	}
	return s
}

func i64(p *int64) interface{} {
	if p == nil {
		return nil
	}
	return *p
}

func memory(v view, m *specs.LinuxMemory) {
	settings := map[string]interface{}{}
	v["kmem_settings"] = settings
	if m == nil {
		return
	}
	v["kernel"] = i64(m.Kernel)
	v["kernelTCP"] = i64(m.KernelTCP)
	v["memory_limit"] = i64(m.Limit)
	// What runc applies: a kernel memory limit of 0 means "not set".
	if m.Kernel != nil && *m.Kernel != 0 {
		settings["kernel"] = *m.Kernel
	}
	if m.KernelTCP != nil && *m.KernelTCP != 0 {
		settings["kernelTCP"] = *m.KernelTCP
	}
}

func process(v view, p *specs.Process) {
	if p == nil {
		return
	}
	v["cwd"] = p.Cwd
	v["args"] = strs(p.Args)
	v["env"] = strs(p.Env)
	v["noNewPrivileges"] = p.NoNewPrivileges
	v["apparmorProfile"] = p.ApparmorProfile
	if c := p.Capabilities; c != nil {
		v["bounding"] = strs(c.Bounding)
		v["effective"] = strs(c.Effective)
		v["inheritable"] = strs(c.Inheritable)
		v["permitted"] = strs(c.Permitted)
		v["ambient"] = strs(c.Ambient)
	}
}

func spec(v view, s *specs.Spec) {
	process(v, s.Process)
	if s.Root != nil {
		v["root_path"] = s.Root.Path
	}
	if s.Mounts != nil {
		mounts := []interface{}{}
		for _, m := range s.Mounts {
			mounts = append(mounts, map[string]interface{}{
				"destination": m.Destination, "type": m.Type, "source": m.Source, "options": strs(m.Options)})
		}
		v["mounts"] = mounts
	}
	l := s.Linux
	if l == nil {
		v["kmem_settings"] = map[string]interface{}{}
		return
	}
	v["masked"] = strs(l.MaskedPaths)
	v["readonly"] = strs(l.ReadonlyPaths)
	v["cgroupsPath"] = l.CgroupsPath
	if l.Resources != nil {
		memory(v, l.Resources.Memory)
	} else {
		v["kmem_settings"] = map[string]interface{}{}
	}
	if l.Devices != nil {
		devices := []interface{}{}
		for _, d := range l.Devices {
			devices = append(devices, map[string]interface{}{"path": d.Path, "type": d.Type, "major": d.Major, "minor": d.Minor})
		}
		v["devices"] = devices
	}
	if sc := l.Seccomp; sc != nil {
		v["seccomp_default"] = string(sc.DefaultAction)
		if sc.DefaultErrnoRet != nil {
			v["seccomp_errno_ret"] = *sc.DefaultErrnoRet
		}
		if sc.Architectures != nil {
			arches := []string{}
			for _, a := range sc.Architectures {
				arches = append(arches, string(a))
			}
			v["seccomp_architectures"] = arches
		}
		if sc.Flags != nil {
			flags := []string{}
			for _, f := range sc.Flags {
				flags = append(flags, string(f))
			}
			v["seccomp_flags"] = flags
		}
		if sc.Syscalls != nil {
			syscalls := []interface{}{}
			for _, sys := range sc.Syscalls {
				s := map[string]interface{}{"names": strs(sys.Names), "action": string(sys.Action), "errnoRet": nil, "args": nil}
				if sys.ErrnoRet != nil {
					s["errnoRet"] = *sys.ErrnoRet
				}
				if sys.Args != nil {
					args := []interface{}{}
					for _, a := range sys.Args {
						args = append(args, map[string]interface{}{
							"index": a.Index, "value": a.Value, "valueTwo": a.ValueTwo, "op": string(a.Op)})
					}
					s["args"] = args
				}
				syscalls = append(syscalls, s)
			}
			v["seccomp_syscalls"] = syscalls
		}
	}
}

func refused(err error) view {
	v := newView()
	v["error"] = true
	why := map[string]interface{}{"go_error": err.Error()}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		why["type_error_field"] = te.Field
	}
	v["_why"] = why
	return v
}

func decode(mode, path string) view {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "specview: %v\n", err)
		os.Exit(2)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	v := newView()
	switch mode {
	case "spec":
		var s *specs.Spec
		if err := dec.Decode(&s); err != nil {
			return refused(err)
		}
		if s == nil {
			return refused(errors.New("config cannot be null"))
		}
		spec(v, s)
	case "process":
		var p specs.Process
		if err := dec.Decode(&p); err != nil {
			return refused(err)
		}
		process(v, &p)
	case "resources":
		var r specs.LinuxResources
		if err := dec.Decode(&r); err != nil {
			return refused(err)
		}
		memory(v, r.Memory)
	}
	return v
}

func main() {
	mode := flag.String("mode", "spec", "spec, process or resources: the Go type runc decodes the document into")
	flag.Parse()
	if *mode != "spec" && *mode != "process" && *mode != "resources" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: specview -mode spec|process|resources FILE...")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, path := range flag.Args() {
		if err := enc.Encode(decode(*mode, path)); err != nil {
			fmt.Fprintf(os.Stderr, "specview: %s: %v\n", path, err)
			os.Exit(2)
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "specview: %v\n", err)
		os.Exit(2)
	}
}
