// A spool::Buffer sized for tests: 1 MiB segments and a fixed queue budget (no memory
// readings), so a test's behaviour does not depend on the machine's free memory.
#pragma once

#include <memory>
#include <string>

#include "spool/buffer.h"

namespace spool::testing {

Options small_buffer_options();
// Opens a Buffer on `dir` with small_buffer_options(); nullptr (and a test failure) if it
// cannot.
std::unique_ptr<Buffer> open_small_buffer(const std::string& dir);

}  // namespace spool::testing
