#pragma once
/* FNV-1a, 64 bits: the name hash of runc-guard's root-owned caches (/run/runc-guard/passthrough/<hash>,
 * /run/runc-guard/keeper/<hash>.json) and the pass-through cache's checksum. Plain C with no library call,
 * so that the first stage (shim/first_stage, before the C library starts) uses the very same code. */
#include <stdint.h>

#define RG_FNV_SEED 0xcbf29ce484222325ull

static inline uint64_t rg_fnv1a64(const void* data, uint64_t size, uint64_t hash) {
  const unsigned char* p = (const unsigned char*)data;
  for (uint64_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 0x100000001b3ull;
  return hash;
}
