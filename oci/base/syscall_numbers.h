#pragma once
// System calls newer than some C libraries' headers (glibc < 2.36 lacks the pidfd ones): the x86_64 and
// generic numbers, for the build hosts whose <sys/syscall.h> does not define them yet.
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
