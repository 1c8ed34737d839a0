// io/errno_status.h: the one errno -> Status conversion (codes, the operation in the message,
// the hints for exhausted descriptors and mappings).
#include "io/errno_status.h"

#include <errno.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace spool::io {
namespace {

TEST(ErrnoStatus, MapsErrnoToCodesAndNamesTheOperation) {
  const Status nospace = errno_status(-ENOSPC, "append to x.seg");
  EXPECT_EQ(nospace.code(), StatusCode::kNoSpace);
  EXPECT_EQ(errno_status(-EDQUOT, "w").code(), StatusCode::kNoSpace);
  EXPECT_EQ(errno_status(-ENOENT, "w").code(), StatusCode::kNotFound);
  EXPECT_EQ(errno_status(-EACCES, "w").code(), StatusCode::kIoError);
  EXPECT_EQ(errno_status(-EIO, "w").code(), StatusCode::kIoError);
  EXPECT_NE(nospace.message().find("append to x.seg"), std::string::npos);
  EXPECT_NE(nospace.message().find(std::strerror(ENOSPC)), std::string::npos);
}

TEST(ErrnoStatus, ExhaustedDescriptorsAndMappingsSaySo) {
  EXPECT_NE(errno_status(-EMFILE, "open a").message().find("ulimit -n"), std::string::npos);
  EXPECT_NE(errno_status(-ENFILE, "open a").message().find("fs.file-max"), std::string::npos);
  EXPECT_NE(errno_status(-ENOMEM, "map a").message().find("vm.max_map_count"), std::string::npos);
  EXPECT_EQ(errno_status(-EIO, "read a").message().find("ulimit"), std::string::npos);
}

}  // namespace
}  // namespace spool::io
