/* Trait bits of oci/runc_commands.def (C and C++). */
#ifndef RG_RUNC_TRAITS_H
#define RG_RUNC_TRAITS_H
#define RG_T_READS_SPEC (1u << 0)
#define RG_T_CREATES (1u << 1)
#define RG_T_STARTS_INIT (1u << 2)
#define RG_T_WATCHED (1u << 3)
#define RG_T_STARTS_CREATED (1u << 4)
#define RG_T_PROCESS_FILE (1u << 5)
#define RG_T_FOREGROUND (1u << 6)
#define RG_T_UPDATES (1u << 7)
#define RG_T_DELETES (1u << 8)
#define RG_T_GUARDED (1u << 9)
#define RG_T_GUARDED_FORCED (1u << 10)
#endif
