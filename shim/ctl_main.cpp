// runc-guardctl: the operator CLI (config check, seccomp, doctor, install).
#include "shim/ctl/ctl.h"

int main(int argc, char** argv) { return rg::run_ctl(argc, argv); }
