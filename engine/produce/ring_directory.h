// RingDirectory: DIR/rings/, where every producer ring of a log is a file
// (<ring id, 16 lowercase hex digits>.ring, see shared_ring.h) beside CONTROL (ring_control.h).
// Producers make rings here; the writer lists them, opens the ones it trusts, deletes those of
// another boot and unlinks reclaimed ones. Every call goes through io::env().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/produce/ring_control.h"
#include "engine/produce/shared_ring.h"
#include "spool/status.h"

namespace spool::engine {

// How the writer's listing went: the rings it may drain and what it refused.
struct RingListing {
  std::vector<SharedRing> rings;           // sorted by (producer id, generation)
  std::vector<std::string> refused;        // "path: why" for each file not read
  std::uint64_t deleted_other_boot = 0;    // rings of a previous boot, deleted
  std::uint64_t deleted_abandoned = 0;     // half-made rings (.tmp) of dead producers, deleted
};

class RingDirectory {
 public:
  static constexpr const char* kDirName = "rings";
  static constexpr const char* kSuffix = ".ring";

  // DIR/rings, made with exactly dir_mode when absent. Refuses a directory (or symlink) that
  // is not this user's or has another mode (PermissionDenied, naming it).
  static Result<RingDirectory> open(const std::string& log_dir, std::uint64_t log_id, mode_t file_mode,
                                    mode_t dir_mode);

  const std::string& path() const noexcept { return path_; }
  // Where the rings of the log in `log_dir` live.
  static std::string rings_location(const std::string& log_dir, std::uint64_t log_id);
  // The path of the ring with this id.
  std::string ring_path(std::uint64_t ring_id) const;
  // The ring id of a file name "<16 hex>.ring", or 0 when it is not one.
  static std::uint64_t ring_id_of(const std::string& name) noexcept;
  // A random ring id, not 0.
  static std::uint64_t new_ring_id();

  // CONTROL of this directory.
  Result<RingControl> open_control() const;

  // A producer's new ring: its capacity is taken from the budget (refused with Full when the
  // budget has no room and capacity > RingControl::kMinRingBytes), the file made (O_EXCL), and
  // the writer told (rings_version, wake). identity.log_id and boot_id are filled in here.
  Result<SharedRing> create_ring(RingIdentity identity, std::uint64_t capacity, RingControl& control);

  // The writer's listing: every "<id>.ring" opened and checked; a ring of another boot is
  // deleted (its contents are not trustworthy after a machine crash); one that fails another
  // check (owner, mode, magic, log id, size) is refused and left alone.
  Result<RingListing> list() const;
  // The writer's cheap listing: the ids of the ring files present (abandoned temp rings are
  // deleted on the way); open_ring opens one with every check. NotFound when the file is
  // gone, or was of another boot (then it is deleted).
  Result<std::vector<std::uint64_t>> list_ids() const;
  Result<SharedRing> open_ring(std::uint64_t ring_id) const;

  // After the ring is drained and its producer dead or the ring sealed: counters folded into
  // CONTROL, the file unlinked and its capacity returned to the budget.
  Status reclaim(SharedRing ring, bool producer_dead, RingControl& control);
  // A reclaim a killed writer left half done (RingControl::begin_retire): its counters are
  // stored again, its file unlinked, its bytes returned. Before the first listing.
  Status finish_interrupted_reclaim(RingControl& control) const;

 private:
  // Deletes `name` when it is a ring's temporary file whose maker is dead.
  bool remove_abandoned_temp(const std::string& name) const;

  std::string path_;
  std::uint64_t log_id_ = 0;
  BootId boot_id_{};
  mode_t file_mode_ = io::kPrivateFileMode;
};

}  // namespace spool::engine
