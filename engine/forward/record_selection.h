// What a forwarder's SelectOptions (include/spool/forwarder_options.h) take, and the textual
// forms the front ends (spoolctl forward, spoold, the C API) accept for them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/forwarder.h"
#include "spool/forwarder_options.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

// True when `select` takes the record. The payload is read only for the record-type and
// severity filters, and only once it verifies (it comes from disk); a record whose payload
// does not verify is selected: the sink's own checks decide about it, nothing is left out
// silently because it is damaged.
bool record_selected(const SelectOptions& select, RecordKind kind, Priority priority,
                     std::span<const std::uint8_t> payload);

// "span,log,metric,record,raw" and "record:TYPE" items, comma-separated, added to
// select->kinds and select->record_types ("record:TYPE" selects records of that type_tag).
// InvalidArgument naming the item otherwise.
Status parse_select_list(std::string_view text, SelectOptions* select);
// "low", "normal", "high", "critical".
Result<Priority> parse_priority(std::string_view name);
// An OTLP severity number 0..24 or a name: trace, debug, info, warn (warning), error, fatal
// (any case): the lowest number of that range (warn = 13).
Result<std::int32_t> parse_severity(std::string_view text);

// The order and selection settings as the front ends take them (spoolctl forward's flags,
// spoold's [[sink]] keys); empty strings leave the default.
struct OrderSelectionText {
  std::string order;         // "oldest", "newest" (within a priority) or "offset" (no priorities)
  std::string min_priority;  // parse_priority
  std::string min_severity;  // parse_severity
  std::vector<std::string> select;  // parse_select_list, each
};
// Applies `text` to `options`; InvalidArgument whose message starts with the setting's
// name ("order: ...", "min_priority: ...", "select: ...").
Status apply_order_and_selection(const OrderSelectionText& text, ForwarderOptions* options);

}  // namespace spool::engine
