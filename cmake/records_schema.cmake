# Compiles the public FlatBuffers schema with flatc at build time. Users and every spool
# library include the result as "spool/records_generated.h".
find_package(FlatBuffers REQUIRED)  # this exact capitalisation (Debian's config file)

set(SPOOL_SCHEMA ${PROJECT_SOURCE_DIR}/include/spool/records.fbs)
set(SPOOL_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)
set(SPOOL_SCHEMA_HEADER ${SPOOL_GENERATED_DIR}/spool/records_generated.h)

add_custom_command(
  OUTPUT ${SPOOL_SCHEMA_HEADER}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SPOOL_GENERATED_DIR}/spool
  COMMAND flatbuffers::flatc --cpp --scoped-enums -o ${SPOOL_GENERATED_DIR}/spool ${SPOOL_SCHEMA}
  DEPENDS ${SPOOL_SCHEMA}
  COMMENT "flatc: records.fbs -> records_generated.h"
  VERBATIM)
add_custom_target(spool_schema_header DEPENDS ${SPOOL_SCHEMA_HEADER})

add_library(spool_schema INTERFACE)
add_dependencies(spool_schema spool_schema_header)
target_include_directories(spool_schema INTERFACE ${SPOOL_GENERATED_DIR})
target_link_libraries(spool_schema INTERFACE flatbuffers::flatbuffers)
