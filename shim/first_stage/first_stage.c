/* runc-guard's first stage (see first_stage.h). It runs before the C library is initialised, so it calls
 * no library function at all: system calls are made directly, strings are compared by hand, and nothing
 * here may make the compiler call memcpy/memset (no struct copies or large initialisers; the build checks
 * the object has no undefined symbol). Built with -ffreestanding -fno-stack-protector (no TLS yet). */
#include "shim/first_stage/first_stage.h"

#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "oci/runc_traits.h"

volatile int rg_first_stage_verdict = RG_FS_NOT_RUN;

/* ---- system calls ---- */

#if defined(__x86_64__)
#define RG_HAVE_FIRST_STAGE 1
static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
static long sys4(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
static long sys_stat(const char* path, struct stat* st) { return sys4(__NR_newfstatat, AT_FDCWD, (long)path, (long)st, 0); }
#endif

/* ---- strings ---- */

static unsigned long str_len(const char* s) {
  unsigned long n = 0;
  while (s[n]) ++n;
  return n;
}
static int str_eq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
/* `s` starts with `prefix`: returns what follows, or 0. */
static const char* after_prefix(const char* s, const char* prefix) {
  while (*prefix)
    if (*s++ != *prefix++) return 0;
  return s;
}
static int span_eq(const char* s, unsigned long n, const char* word) {
  unsigned long i = 0;
  for (; i < n; ++i)
    if (word[i] != s[i]) return 0;
  return word[n] == 0;
}

/* ---- the command table (the one the C++ argv parser reads) ---- */

struct global_flag {
  const char* long_name;
  const char* short_name;
  int takes_value;
};
static const struct global_flag kGlobalFlags[] = {
#define RUNC_GLOBAL_FLAG(long_name, short_name, value) {long_name, short_name, value},
#include "oci/runc_global_flags.def"
#undef RUNC_GLOBAL_FLAG
};
struct command {
  const char* name;
  unsigned traits;
};
static const struct command kCommands[] = {
#define RUNC_COMMAND(id, name, flags, reorder, traits) {name, traits},
#include "oci/runc_commands.def"
#undef RUNC_COMMAND
};

int rg_first_stage_passes_through(int argc, char* const* argv) {
  int i = 1;
  /* Global flags, as Go's flag package reads them: they end at "--" or the first non-flag. */
  while (i < argc) {
    const char* a = argv[i];
    if (a[0] == '-' && a[1] == '-' && a[2] == 0) {
      ++i;
      break;
    }
    if (a[0] != '-' || a[1] == 0) break;
    const char* name = a + (a[1] == '-' ? 2 : 1);
    unsigned long n = 0;
    while (name[n] && name[n] != '=') ++n;
    const struct global_flag* flag = 0;
    for (unsigned k = 0; k < sizeof kGlobalFlags / sizeof kGlobalFlags[0]; ++k)
      if (span_eq(name, n, kGlobalFlags[k].long_name) || (kGlobalFlags[k].short_name[0] && span_eq(name, n, kGlobalFlags[k].short_name)))
        flag = &kGlobalFlags[k];
    if (!flag) return 0;                                                                 /* not runc's: unsure */
    if (str_eq(flag->long_name, "version") || str_eq(flag->long_name, "help")) return 0; /* runc-guard adds to them */
    i += flag->takes_value && name[n] != '=' ? 2 : 1;
  }
  if (i >= argc) return 0;
  for (unsigned k = 0; k < sizeof kCommands / sizeof kCommands[0]; ++k) {
    if (!str_eq(argv[i], kCommands[k].name)) continue;
    if (kCommands[k].traits & RG_T_GUARDED) return RG_FS_NO;
    if (kCommands[k].traits & RG_T_GUARDED_FORCED) {
      int forced = 0;
      for (int j = i + 1; j < argc; ++j) {
        const char* a = argv[j];
        if (a[0] != '-' || !a[1]) continue;
        /* -f / --force, nothing else: any other flag (or a value such as --force=false) is the runtime's */
        if (str_eq(a, "-f") || str_eq(a, "--force") || str_eq(a, "-force")) forced = 1;
        else return RG_FS_NO;
      }
      return forced ? RG_FS_PASS_IF_FORCED_DELETE_PASSES : RG_FS_PASS;
    }
    return RG_FS_PASS;
  }
  return RG_FS_NO; /* not a runc command: runc reports it, through the full runtime */
}

void rg_pt_cache_path(const char* config_path, char* out) {
  static const char kDir[] = RG_PT_DIR "/";
  unsigned long n = 0;
  for (; kDir[n]; ++n) out[n] = kDir[n];
  uint64_t h = rg_fnv1a64(config_path, str_len(config_path), RG_FNV_SEED);
  for (int k = 15; k >= 0; --k, h >>= 4) out[n + k] = "0123456789abcdef"[h & 15];
  out[n + 16] = 0;
}

#ifdef RG_HAVE_FIRST_STAGE
/* ---- the checks ---- */

static int same_file(const struct stat* st, const struct rg_file_id* id) {
  return st->st_dev == id->dev && st->st_ino == id->ino && (uint64_t)st->st_size == id->size &&
         (int64_t)st->st_mtime == id->mtime_sec && (int64_t)st->st_mtime_nsec == id->mtime_nsec &&
         (int64_t)st->st_ctime == id->ctime_sec && (int64_t)st->st_ctime_nsec == id->ctime_nsec &&
         st->st_mode == id->mode && st->st_uid == id->uid;
}
/* Root-owned and not writable by group or others (the full runtime's StrictModes check). */
static int secure(const struct stat* st) { return st->st_uid == 0 && !(st->st_mode & 022); }

static int path_fits(const char* p) {
  for (int i = 0; i < RG_PT_PATH_MAX; ++i)
    if (!p[i]) return 1;
  return 0;
}

static struct rg_pt_cache cache; /* .bss: zero, no initialiser to copy */

/* The cache for `config_path`, read and checked for being the runtime's own, whole file. */
static int load_cache(const char* config_path) {
  char path[sizeof RG_PT_DIR + 20];
  rg_pt_cache_path(config_path, path);
  long fd = sys4(__NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0) return 0;
  struct stat st;
  int ok = sys3(__NR_fstat, fd, (long)&st, 0) == 0 && (st.st_mode & S_IFMT) == S_IFREG && secure(&st) &&
           st.st_size == (long)sizeof cache && sys3(__NR_read, fd, (long)&cache, sizeof cache) == (long)sizeof cache;
  sys3(__NR_close, fd, 0, 0);
  if (!ok || cache.magic != RG_PT_MAGIC || cache.size != sizeof cache) return 0;
  if (cache.checksum != rg_fnv1a64(&cache, (uint64_t)((const char*)&cache.checksum - (const char*)&cache), RG_FNV_SEED)) return 0;
  if (!path_fits(cache.config_path) || !str_eq(cache.config_path, config_path)) return 0;
  if (cache.candidate_count == 0 || cache.candidate_count > RG_PT_MAX_CANDIDATES) return 0;
  return 1;
}

/* Everything the cache says still holds. */
static int cache_holds(int config_from_env) {
  struct stat st;
  if (sys_stat("/proc/self/exe", &st) != 0 || !same_file(&st, &cache.self)) return 0;
  long r = sys_stat(cache.config_path, &st);
  if (cache.config_present) {
    if (r != 0 || !same_file(&st, &cache.config) || !secure(&st)) return 0;
  } else if (r != -ENOENT || config_from_env) {
    return 0; /* only the default path may be missing (built-in defaults) */
  }
  for (uint32_t k = 0; k < cache.candidate_count; ++k) {
    const struct rg_pt_candidate* c = &cache.candidates[k];
    if (!path_fits(c->path)) return 0;
    r = sys_stat(c->path, &st);
    if (c->present ? r != 0 || !same_file(&st, &c->id) : r != -ENOENT) return 0;
  }
  /* `st` is now the chosen runc's. */
  const struct rg_pt_candidate* runc = &cache.candidates[cache.candidate_count - 1];
  return runc->present && (st.st_mode & S_IFMT) == S_IFREG && (st.st_mode & 0111) && secure(&st);
}

/* ---- the loop marker, as oci/base/loop_marker.cpp writes and reads it ---- */

/* Decimal digits only, at most `max` (std::from_chars into pid_t / unsigned). */
static int parse_uint(const char* s, const char* end, unsigned long max, unsigned long* out) {
  if (s == end) return 0;
  unsigned long v = 0;
  for (; s < end; ++s) {
    if (*s < '0' || *s > '9') return 0;
    const unsigned long digit = (unsigned long)(*s - '0');
    if (v > (max - digit) / 10) return 0;
    v = v * 10 + digit;
  }
  *out = v;
  return 1;
}

static char marker[64];
static char* env_out[4096];

/* Appends `v` in decimal at out[*n]. */
static void append_decimal(char* out, unsigned long* n, unsigned long v) {
  char digits[24];
  int d = 0;
  do digits[d++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (d > 0) out[(*n)++] = digits[--d];
}

/* envp with RUNC_GUARD_ACTIVE replaced by ours; 0 when we would be looping or it does not fit. */
static char* const* marked_environment(char* const* envp, long self) {
  unsigned long depth = 1, n = 0;
  for (char* const* e = envp; *e; ++e) {
    const char* value = after_prefix(*e, RG_LOOP_MARKER_ENV "=");
    if (!value) {
      if (n + 2 >= sizeof env_out / sizeof env_out[0]) return 0;
      env_out[n++] = *e;
      continue;
    }
    unsigned long pid = 0, old_depth = 0;
    const char* dot = value;
    while (*dot && *dot != '.') ++dot;
    if (str_eq(value, "1")) {
      pid = 0, old_depth = 1;
    } else if (!(*dot && parse_uint(value, dot, 2147483647ul, &pid) && pid > 0 &&
                 parse_uint(dot + 1, dot + 1 + str_len(dot + 1), 4294967295ul, &old_depth))) {
      continue; /* not a marker the runtime reads: replaced, depth stays 1 */
    }
    if ((long)pid == self || old_depth >= RG_MAX_LOOP_DEPTH) return 0; /* the runtime refuses it */
    depth = old_depth + 1;
  }
  unsigned long m = 0;
  for (const char* p = RG_LOOP_MARKER_ENV "="; *p; ++p) marker[m++] = *p;
  append_decimal(marker, &m, (unsigned long)self);
  marker[m++] = '.';
  append_decimal(marker, &m, depth);
  marker[m] = 0;
  env_out[n++] = marker;
  env_out[n] = 0;
  return env_out;
}

void rg_first_stage(long* initial_stack) {
  rg_first_stage_verdict = RG_FS_FULL;
  const int argc = (int)initial_stack[0];
  char* const* argv = (char* const*)(initial_stack + 1);
  char* const* envp = argv + argc + 1;
  const int pass = rg_first_stage_passes_through(argc, argv);
  if (pass == RG_FS_NO) return;

  const char* config_path = RG_DEFAULT_CONFIG;
  int config_from_env = 0;
  for (char* const* e = envp; *e; ++e) {
    const char* value = after_prefix(*e, RG_CONFIG_ENV "=");
    if (!value) continue;
    if (*value) config_path = value, config_from_env = 1;  /* the first one, as getenv(3) reads it */
    break;
  }
  rg_first_stage_verdict = RG_FS_CACHE_MISS;
  if (!path_fits(config_path) || !load_cache(config_path) || !cache_holds(config_from_env)) return;
  if (pass == RG_FS_PASS_IF_FORCED_DELETE_PASSES && !cache.forced_delete_passes) {
    rg_first_stage_verdict = RG_FS_FULL;  /* a guard acts on it with this runc: not a miss */
    return;
  }
  char* const* env = marked_environment(envp, sys3(__NR_getpid, 0, 0, 0));
  if (!env) {
    rg_first_stage_verdict = RG_FS_FULL;
    return;
  }
  sys3(__NR_execve, (long)cache.candidates[cache.candidate_count - 1].path, (long)argv, (long)env);
  /* It failed (runc vanished since the check): the full runtime finds out why and says so. */
}
#else
void rg_first_stage(long* initial_stack) { (void)initial_stack; }
#endif
