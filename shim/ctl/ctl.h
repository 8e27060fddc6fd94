#pragma once

namespace rg {
int run_ctl(int argc, char** argv);
}
