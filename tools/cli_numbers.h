// Strict parsing of the numbers spoolctl takes on its command line.
//
// CLI11's own conversion to unsigned integers accepts "-1" (wrapping to 2^64-1), saturates on
// overflow and reads "010" as octal; for offsets and sizes each of those would silently
// select the wrong records, so numeric options are checked here first and anything that is
// not a plain decimal number is a usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spool::tools {

// Decimal digits only (no sign, no spaces, no base prefix); nullopt on overflow.
std::optional<std::uint64_t> parse_decimal_u64(std::string_view text);

// A decimal number optionally followed by a unit (case insensitive): B; K/KiB, M/MiB,
// G/GiB (powers of 1024); kB, MB, GB (powers of 1000). E.g. "1048576", "64MiB", "4k", "1MB".
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

// CLI11 transforms that replace the option's text by its canonical decimal value, or
// reject it with a message naming the expected form.
CLI::Validator decimal_u64_validator();
CLI::Validator byte_size_validator();

}  // namespace spool::tools
