# Soak (CI size): 200 container lifecycles, 16 at a time, through runc-guard over Debian's runc 1.1.5 and
# the real rc93 (kmem limits stripped from config.json under load), as containerd drives runc. Fails on a
# failed command or anything left behind: containers, runc / runc init / rg-watchdog processes, cgroup
# directories, fds, temp files, failure events, miscounted events or metrics (tests/soak_lib.bash).
# RG_SOAK_LIFECYCLES / RG_SOAK_PARALLEL change the size; tests/bench/soak.sh is the long run.
source "$(dirname "$0")/../lib.sh"
source "$RG_SOURCE/tests/soak_lib.bash"

soak_run "${RG_SOAK_LIFECYCLES:-200}" "${RG_SOAK_PARALLEL:-16}"
echo "PASS soak"
