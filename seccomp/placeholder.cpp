namespace rg::seccomp {}
