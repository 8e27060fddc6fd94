#pragma once
// The capacity `runc init` would get for a new pipe right now. runc init exports its seccomp program after
// dropping capabilities (under no-new-privileges) while keeping uid 0; once uid 0's pipe pages exceed
// /proc/sys/fs/pipe-user-pages-soft, the kernel gives such a process 2-page pipes.
#include <cstddef>

namespace rg::seccomp {

// Forks (clone CLONE_VM|CLONE_VFORK) a child that keeps uid 0 but drops CAP_SYS_RESOURCE and
// CAP_SYS_ADMIN from its effective and permitted sets (the two the kernel checks in
// pipe_is_unprivileged_user()), creates a pipe and reports F_GETPIPE_SZ back through a pipe.
// Throws rg::Error. Tens of microseconds.
std::size_t probe_pipe_capacity();

// The smallest capacity the kernel ever gives a new pipe (PIPE_MIN_DEF_BUFFERS pages): programs not larger
// than this never block, whatever the probe says.
std::size_t minimum_pipe_capacity();

}  // namespace rg::seccomp
