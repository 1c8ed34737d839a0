# The test produce_only_links: a program that only produces (produce_only_program, linked
# against spool_produce alone with --no-as-needed, so every library on its link line shows
# in ldd) works, and needs neither libcurl nor zlib nor zstd. Fails when spool_produce, or
# anything it links, brings one of them in.
#   cmake -DPROGRAM=<produce_only_program> -DLOG_DIR=<scratch dir> -P produce_only_links.cmake
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE ${LOG_DIR})
execute_process(COMMAND ${PROGRAM} ${LOG_DIR} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out
                TIMEOUT 60)
file(REMOVE_RECURSE ${LOG_DIR})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} ${LOG_DIR} failed (${rc}): ${out}")
endif()

execute_process(COMMAND ldd ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE libraries ERROR_VARIABLE err
                TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ldd ${PROGRAM} failed (${rc}): ${err}")
endif()
foreach(forbidden libcurl libz libzstd)
  if(libraries MATCHES "(^|[ \t\n/])${forbidden}\\.so")
    message(FATAL_ERROR "a program that only produces links ${forbidden}:\n${libraries}")
  endif()
endforeach()
message(STATUS "${PROGRAM} links none of libcurl, libz, libzstd:\n${libraries}")
