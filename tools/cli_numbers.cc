#include "tools/cli_numbers.h"

#include <cctype>
#include <limits>
#include <string>

namespace spool::tools {

std::optional<std::uint64_t> parse_decimal_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto number = parse_decimal_u64(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string unit;
  for (char c : text.substr(digits))
    unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  // Binary units (K, KiB: 1024) unless spelled as SI bytes (kB, MB, GB: 1000), as a link's
  // "1 MB/s" is usually meant.
  static constexpr struct {
    std::string_view unit;
    std::uint64_t factor;
  } kUnits[] = {{"", 1},
                {"b", 1},
                {"k", 1ull << 10},
                {"kib", 1ull << 10},
                {"kb", 1'000},
                {"m", 1ull << 20},
                {"mib", 1ull << 20},
                {"mb", 1'000'000},
                {"g", 1ull << 30},
                {"gib", 1ull << 30},
                {"gb", 1'000'000'000}};
  for (const auto& u : kUnits) {
    if (unit != u.unit) continue;
    if (*number > std::numeric_limits<std::uint64_t>::max() / u.factor) return std::nullopt;
    return *number * u.factor;
  }
  return std::nullopt;
}

CLI::Validator decimal_u64_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto v = parse_decimal_u64(text);
        if (!v) return "expected a non-negative decimal integer below 2^64, got '" + text + "'";
        text = std::to_string(*v);
        return {};
      },
      "", "decimal");
}

CLI::Validator byte_size_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto v = parse_byte_size(text);
        if (!v) {
          return "expected a byte count such as 1048576, 64K, 1MiB or 1MB (K, M, G, KiB, MiB, "
                 "GiB: powers of 1024; kB, MB, GB: of 1000), got '" +
                 text + "'";
        }
        text = std::to_string(*v);
        return {};
      },
      "", "size");
}

}  // namespace spool::tools
