/* The first stage of runc-guard: a few hundred instructions that run before the C library starts (the
 * binary's entry point is rg_entry, not _start) and exec the real runc straight away for the commands no
 * guard and no watchdog needs — state, kill, delete, ps, events, list, … — when a pass-through cache
 * written by the full runtime proves that the full runtime would do exactly that. Anything it is unsure of
 * returns to _start: the full runtime runs as it always did.
 *
 * What it checks before it execs is what the full runtime's pass-through checks: the command (the same
 * command table), the loop marker, the config file (the very file the cache was written from: device,
 * inode, size, mtime, ctime, owner, mode), every runc candidate the search passed over (still absent, or
 * still the same file) and the chosen runc (the same file, root-owned, not group/other-writable), and the
 * runc-guard binary itself. With metrics enabled no cache is written (the full runtime counts).
 *
 * Shared with C++ (shim/runtime/passthrough_cache.cpp writes the cache): plain C. */
#ifndef RG_FIRST_STAGE_H
#define RG_FIRST_STAGE_H

#include <stdint.h>

#include "oci/base/fnv1a.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_PT_DIR "/run/runc-guard/passthrough"
#define RG_PT_MAGIC 0x31545052u /* "RPT1" */
#define RG_PT_PATH_MAX 256      /* longer config or runc paths are not cached */
#define RG_PT_MAX_CANDIDATES 6
#define RG_DEFAULT_CONFIG "/etc/runc-guard/config.json"
#define RG_CONFIG_ENV "RUNC_GUARD_CONFIG"
#define RG_LOOP_MARKER_ENV "RUNC_GUARD_ACTIVE"
#define RG_MAX_LOOP_DEPTH 8

/* What identifies a file's content without reading it (ctime changes with any write, chmod or chown and
 * cannot be set by anyone). */
struct rg_file_id {
  uint64_t dev, ino, size;
  int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
  uint32_t mode, uid;
};

struct rg_pt_candidate {
  uint32_t present; /* 0: it did not exist (ENOENT); 1: it was the file `id` */
  uint32_t reserved;
  struct rg_file_id id;
  char path[RG_PT_PATH_MAX];
};

struct rg_pt_cache {
  uint32_t magic, size;
  struct rg_file_id self; /* the runc-guard binary that wrote it */
  uint32_t config_present, reserved;
  struct rg_file_id config;
  char config_path[RG_PT_PATH_MAX];
  uint32_t candidate_count; /* in search order; the last one is the runc to exec */
  uint32_t forced_delete_passes; /* 1: no guard acts on `delete --force` for this runc and config */
  struct rg_pt_candidate candidates[RG_PT_MAX_CANDIDATES];
  uint64_t checksum; /* FNV-1a 64 of every byte before it */
};

/* What the first stage decided, for the full runtime (the same process, after the C library started). */
enum rg_first_stage_verdict {
  RG_FS_NOT_RUN = 0,    /* no first stage in this build (or not this architecture) */
  RG_FS_FULL = 1,       /* a command for the full runtime (or one it was unsure of): cache not consulted */
  RG_FS_CACHE_MISS = 2, /* a pass-through command, but no valid cache: the full runtime writes one */
};
extern volatile int rg_first_stage_verdict;

/* Pure parts, also for tests. */
/* What the first stage may do with argv: RG_FS_PASS — a known runc command that is not guarded, after
 * global flags it knows; RG_FS_PASS_IF_FORCED_DELETE_PASSES — `delete` with --force (its only flag), which
 * passes when the cache says no guard acts on it; RG_FS_NO — anything else (the full runtime decides). */
enum { RG_FS_NO = 0, RG_FS_PASS = 1, RG_FS_PASS_IF_FORCED_DELETE_PASSES = 2 };
int rg_first_stage_passes_through(int argc, char* const* argv);
/* "<RG_PT_DIR>/<16 hex digits of fnv1a64(config_path)>" into out (at least sizeof RG_PT_DIR + 18). */
void rg_pt_cache_path(const char* config_path, char* out);

/* Called from rg_entry with the kernel's initial stack (argc, argv…, 0, envp…, 0). Returns only when the
 * full runtime must run. */
void rg_first_stage(long* initial_stack);

#ifdef __cplusplus
}
#endif

#endif
