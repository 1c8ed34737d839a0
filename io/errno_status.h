// errno (negative, as io/ returns it) to a Status naming the operation and path: the one
// conversion every room uses, so the same errno always means the same StatusCode.
#pragma once

#include <string>

#include "spool/status.h"

namespace spool::io {

// ENOSPC/EDQUOT: NoSpace; ENOENT: NotFound; anything else IoError. Running out of
// descriptors (EMFILE/ENFILE) or of address space / mappings (ENOMEM) says so.
Status errno_status(int neg_errno, const std::string& what);

}  // namespace spool::io
