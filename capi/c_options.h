// spool_options: spool::Options set by name from text, so that a new option is a new name and
// not a new symbol of the C ABI (and every language binding passes options the same way).
#pragma once

#include <string_view>

#include "spool/buffer_options.h"
#include "spool/status.h"

struct spool_options {
  spool::Options options;
};

namespace spool::capi {

// Sets the option `key` of `options` from `value`; InvalidArgument naming the key or the
// value when either is not understood (the options are unchanged then).
Status set_option(Options& options, std::string_view key, std::string_view value);

}  // namespace spool::capi
