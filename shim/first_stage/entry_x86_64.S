/* runc-guard's entry point: the first stage on the kernel's initial stack, then the C library's _start
 * with that stack untouched (see first_stage.h). */
    .text
    .globl rg_entry
    .type rg_entry, @function
rg_entry:
    mov %rsp, %rbx          /* callee-saved: the initial stack (argc, argv…, envp…, auxv) */
    mov %rsp, %rdi
    and $-16, %rsp
    call rg_first_stage     /* returns only when the full runtime must run */
    mov %rbx, %rsp
    xor %edx, %edx          /* rtld_fini: none, as the kernel leaves %rdx for a static executable */
    jmp _start
    .size rg_entry, . - rg_entry
    .section .note.GNU-stack, "", @progbits
