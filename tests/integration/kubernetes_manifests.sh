#!/bin/bash
# Offline validation of install/kubernetes/*.yaml (no cluster, no schema checker in Debian): parse every
# document with PyYAML and check the fields that make the rollout work — the RuntimeClass handler matches
# the runtime name the installer registers, its nodeSelector matches nodes the DaemonSet covers, the
# DaemonSet runs `runc-guardctl install containerd` with host paths mounted at the same paths, the
# shipped config passes the real `runc-guardctl config check`, and the cleanup DaemonSet uninstalls.
set -euo pipefail
RG_BUILD=${RG_BUILD:?}
RG_SOURCE=${RG_SOURCE:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml is not installed (apt-get install python3-yaml)"
WORK=$(mktemp -d /tmp/rg-k8s.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 - "$RG_SOURCE/install/kubernetes" "$WORK" <<'PY' || fail "manifest checks failed"
import json, os, re, sys, yaml

kdir, work = sys.argv[1], sys.argv[2]
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

def load(name):
    with open(os.path.join(kdir, name)) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    for d in docs:
        for key in ("apiVersion", "kind", "metadata"):
            check(key in d, f"{name}: a document lacks {key}")
        check(re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", d["metadata"].get("name", "")) is not None,
              f"{name}: bad metadata.name {d['metadata'].get('name')!r}")
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}

rc = load("runtimeclass.yaml")[("RuntimeClass", "runc-guard")]
check(rc["apiVersion"] == "node.k8s.io/v1", "RuntimeClass apiVersion must be node.k8s.io/v1")
check(rc["handler"] == "runc-guard", "RuntimeClass handler must be the installed runtime name runc-guard")
canary = rc["scheduling"]["nodeSelector"]
check(canary == {"runc-guard.io/rollout": "canary"}, f"RuntimeClass nodeSelector: {canary}")

main = load("daemonset.yaml")
check(("Namespace", "runc-guard") in main, "daemonset.yaml defines the runc-guard namespace")
cm = main[("ConfigMap", "runc-guard-config")]
config = json.loads(cm["data"]["config.json"])
check(config.get("mode") == "observe", "the shipped config must start in observe mode")
check(cm["data"]["as-default"] in ("true", "false"), "as-default must be the string true or false")
with open(os.path.join(work, "config.json"), "w") as f:
    f.write(cm["data"]["config.json"])

def daemonset_checks(ds, name):
    check(ds["apiVersion"] == "apps/v1", f"{name}: apiVersion")
    spec = ds["spec"]
    tmpl = spec["template"]
    check(spec["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(),
          f"{name}: selector does not match the pod template labels")
    pod = tmpl["spec"]
    check(pod.get("hostPID") is True, f"{name}: hostPID needed to nsenter and restart containerd")
    volumes = {v["name"]: v for v in pod["volumes"]}
    for c in pod.get("initContainers", []) + pod["containers"]:
        check(bool(c.get("image")), f"{name}/{c['name']}: image")
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes, f"{name}/{c['name']}: mount of undefined volume {m['name']}")
            host = volumes.get(m["name"], {}).get("hostPath")
            # runc-guardctl writes host paths into engine configs: they must be the same inside and out.
            if host:
                check(host["path"] == m["mountPath"], f"{name}/{c['name']}: hostPath {host['path']} mounted at {m['mountPath']}")
    return pod

ds = main[("DaemonSet", "runc-guard")]
pod = daemonset_checks(ds, "runc-guard")
terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
covered = {v for t in terms for e in t["matchExpressions"] if e["key"] == "runc-guard.io/rollout" and e["operator"] == "In" for v in e["values"]}
check("canary" in covered, "DaemonSet must cover the nodes the RuntimeClass schedules onto (rollout=canary)")
check("remove" not in covered, "DaemonSet must leave nodes labelled for removal")
install = pod["initContainers"][0]
script = " ".join(install["command"] + install["args"])
check(install["securityContext"].get("privileged") is True, "install init container must be privileged")
check("runc-guardctl install containerd" in script, "install init container must run runc-guardctl install containerd")
check("--binary /opt/runc-guard/bin/runc-guard" in script, "the runtime binary must be the host copy")
check("config check" in script, "the config must be validated before it is installed")
check("systemctl restart containerd" in script, "containerd must be restarted to load the runtime")
mounts = {m["mountPath"] for m in install["volumeMounts"]}
for path in ("/etc/containerd", "/opt/runc-guard", "/etc/runc-guard", "/var/lib/runc-guard"):
    check(path in mounts, f"install init container must mount {path}")

keeper = [c for c in pod["containers"] if c["name"] == "keeper"]
check(len(keeper) == 1, "the DaemonSet runs the keeper")
if keeper:
    kcmd = keeper[0]["command"]
    check(kcmd[:4] == ["nsenter", "-t", "1", "-m"] and "keeper" in kcmd, f"the keeper runs in the host's mount namespace: {kcmd}")
    check(keeper[0]["securityContext"].get("privileged") is True, "the keeper must be privileged (nsenter, pidfd)")
cleanup = load("cleanup-daemonset.yaml")[("DaemonSet", "runc-guard-cleanup")]
cpod = daemonset_checks(cleanup, "runc-guard-cleanup")
check(cpod["nodeSelector"] == {"runc-guard.io/rollout": "remove"}, "cleanup runs only on nodes labelled remove")
cscript = " ".join(cpod["initContainers"][0]["command"] + cpod["initContainers"][0]["args"])
check("runc-guardctl uninstall containerd" in cscript, "cleanup must run runc-guardctl uninstall containerd")
check("/var/lib/runc-guard" in {m["mountPath"] for m in cpod["initContainers"][0]["volumeMounts"]},
      "cleanup needs the install records in /var/lib/runc-guard")

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
PY

# The ConfigMap's config must be accepted by the real validator (root-owned, 0644 as runc-guard requires).
chmod 0644 "$WORK/config.json"
"$RG_BUILD/runc-guardctl" config check "$WORK/config.json" >/dev/null ||
  fail "the ConfigMap's config.json is rejected by runc-guardctl config check"
echo "PASS: kubernetes manifests"
