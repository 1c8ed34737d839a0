# The include rules of the rooms (and of the public headers): each room's sources may include only its own headers and
# those of the rooms below it, so the dependency direction of the libraries
#
#   spool_capi -> spool_report -> spool_ingest -> spool_sinks -> spool_forward -> spool_produce -> spool_record, spool_segment -> spool_io
#   spool_read -> spool_record, spool_segment (spool_engine, so spool_report and spool_capi, link it too)
#
# holds for the headers too (a static library would otherwise happily compile an upward
# include and fail, or not, only at some later link). Include paths are rooted at the
# repository root, so the first folders of a quoted include name its room.
#
# The root CMakeLists.txt includes this file (a violation stops the configure), and the test
# room_include_rules runs it in script mode: cmake -DSPOOL_SOURCE_DIR=<repo> -P <this file>.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)  # policies, in script mode
endif()

# room folder | the include prefixes it may use, comma-separated (its own first).
set(SPOOL_ROOM_RULES
  "io|io/"
  "segment|segment/,io/"
  "engine/record|engine/record/,io/"
  "engine/read|engine/read/,engine/record/,segment/,io/"
  "engine/produce|engine/produce/,engine/record/,segment/,io/"
  "engine/forward|engine/forward/,engine/produce/,engine/record/,segment/,io/"
  "engine/sinks|engine/sinks/,engine/forward/,engine/produce/,engine/record/,segment/,io/"
  "engine/ingest|engine/ingest/,engine/sinks/,engine/forward/,engine/produce/,engine/record/,segment/,io/"
  "report|report/,engine/ingest/,engine/sinks/,engine/forward/,engine/produce/,engine/record/,segment/,io/"
  "capi|capi/,report/,engine/ingest/,engine/sinks/,engine/forward/,engine/produce/,engine/read/,engine/record/,segment/,io/")
# Public headers implemented by one room: only that room and the rooms above it include them.
set(SPOOL_PUBLIC_HEADER_ROOMS
  "spool/reader.h|engine/read/"
  "spool/buffer.h|engine/produce/"
  "spool/scoped_span.h|engine/produce/"
  "spool/spdlog_sink.h|engine/produce/"
  "spool/forwarder.h|engine/forward/"
  "spool/cursors.h|engine/forward/"
  "spool/callback_sink.h|engine/sinks/"
  "spool/jsonl_file_sink.h|engine/sinks/"
  "spool/otlp_http_sink.h|engine/sinks/"
  "spool/kafka_sink.h|engine/sinks/"
  "spool/spool.h|capi/")

# Sets `out` to the list of "file: #include ..." lines that break the rules.
function(spool_room_include_violations source_dir out)
  set(violations "")
  foreach(rule ${SPOOL_ROOM_RULES})
    string(REPLACE "|" ";" parts "${rule}")
    list(GET parts 0 room)
    list(GET parts 1 allowed)
    string(REPLACE "," ";" allowed "${allowed}")
    file(GLOB_RECURSE files ${source_dir}/${room}/*.h ${source_dir}/${room}/*.cc)
    foreach(file ${files})
      file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
      foreach(line ${includes})
        string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" header "${line}")
        set(owner "")
        if(header MATCHES "^(io|segment|capi|report|engine/[a-z_]+)/")
          set(owner "${CMAKE_MATCH_1}/")
        else()
          foreach(entry ${SPOOL_PUBLIC_HEADER_ROOMS})
            string(REPLACE "|" ";" pair "${entry}")
            list(GET pair 0 public_header)
            if(header STREQUAL public_header)
              list(GET pair 1 owner)
            endif()
          endforeach()
        endif()
        if(NOT owner STREQUAL "" AND NOT owner IN_LIST allowed)
          file(RELATIVE_PATH shown ${source_dir} ${file})
          list(JOIN allowed " " allowed_text)
          list(APPEND violations "${shown}: #include \"${header}\" (${room}/ may include only ${allowed_text})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  # The public headers include only each other and the standard library (and spdlog_sink.h
  # spdlog, for programs that log with it): nothing internal, and no FlatBuffers (the
  # generated tables stay an implementation detail; pimpl instead).
  file(GLOB public_headers ${source_dir}/include/spool/*.h)
  foreach(file ${public_headers})
    file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]+[\"<]")
    foreach(line ${includes})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+([\"<][^\">]+[\">]).*" "\\1" header "${line}")
      if(header MATCHES "^\"(io|segment|engine|tools)/" OR header MATCHES "flatbuffers" OR
         header MATCHES "_generated\\.h")
        file(RELATIVE_PATH shown ${source_dir} ${file})
        list(APPEND violations "${shown}: #include ${header} (public headers include only spool/ headers and the standard library)")
      endif()
    endforeach()
  endforeach()
  set(${out} "${violations}" PARENT_SCOPE)
endfunction()

function(spool_check_room_includes source_dir)
  spool_room_include_violations(${source_dir} violations)
  if(violations)
    list(JOIN violations "\n  " text)
    message(FATAL_ERROR "includes that break the room rules:\n  ${text}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  if(NOT SPOOL_SOURCE_DIR)
    message(FATAL_ERROR "usage: cmake -DSPOOL_SOURCE_DIR=<repository root> -P room_include_rules.cmake")
  endif()
  spool_check_room_includes(${SPOOL_SOURCE_DIR})
endif()
