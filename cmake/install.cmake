# `cmake --install <build> --prefix P` makes spool an installed package:
#
#   P/include/spool/spool.h                 the C API
#   P/lib/libspool.so.0.1.0 (+ .so.0, .so)  the C API, shared (only spool_* exported)
#   P/lib/libspool.a                        the C API and the whole engine, static
#   P/bin/spoolctl, P/bin/spoold
#   P/lib/cmake/spool/                      find_package(spool): spool::spool, spool::spool_static
#   P/lib/pkgconfig/spool.pc                pkg-config spool (--static for libspool.a)
#   P/share/spool/python/spool              the Python package (ctypes over libspool.so.0)
#   packaging/'s systemd unit and Dockerfile, when they exist
#
# Every installed path is relative to the prefix (the CMake files compute it from their own
# location, spool.pc from ${pcfiledir}), so an installed tree can be moved or packaged.
# Included from the root CMakeLists.txt after capi/ and tools/ define their targets.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SPOOL_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/spool CACHE STRING
    "Where spoolConfig.cmake is installed, relative to the prefix")
set(SPOOL_INSTALL_SYSTEMD_UNITDIR lib/systemd/system CACHE STRING
    "Where packaging/'s systemd units are installed, relative to the prefix")

# Only the C header is installed. The C++ headers (include/spool/*.h besides spool.h) are of
# no use to a consumer of what is installed: libspool.so exports nothing but spool_*
# (capi/libspool.map), and compiling them needs the generated records_generated.h and
# FlatBuffers, which are not installed. A C++ program uses the C API, or builds spool from
# source as a subproject.
install(FILES ${PROJECT_SOURCE_DIR}/include/spool/spool.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/spool COMPONENT dev)

# The targets carry the source tree's include directory; installed, it is <prefix>/include.
foreach(target spool spool_static)
  set_property(TARGET ${target} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
               $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
               $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

# libspool.a must link from what is installed, and the engine's static libraries are not
# installed: their objects go into libspool.a beside the C API's. The libraries are the
# in-project static libraries spool_report links, transitively (a new room joins by itself).
function(spool_collect_static_libraries out target)
  set(seen ${${out}})
  foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(deps ${target} ${property})
    if(NOT deps)
      continue()
    endif()
    foreach(dep ${deps})
      if(NOT TARGET ${dep} OR dep IN_LIST seen)
        continue()
      endif()
      get_target_property(imported ${dep} IMPORTED)
      if(imported)
        continue()
      endif()
      list(APPEND seen ${dep})
      spool_collect_static_libraries(seen ${dep})
    endforeach()
  endforeach()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

set(SPOOL_BUNDLED_LIBRARIES spool_report)
spool_collect_static_libraries(SPOOL_BUNDLED_LIBRARIES spool_report)
foreach(library ${SPOOL_BUNDLED_LIBRARIES})
  get_target_property(type ${library} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    target_sources(spool_static PRIVATE $<TARGET_OBJECTS:${library}>)
  endif()
endforeach()

# What libspool.a leaves to the consumer's link line: the system libraries the engine calls
# and the C++ runtime (a C program links it with the C driver). In the build tree the targets
# above still bring them (and are harmless beside the bundled objects: nothing is pulled twice).
# Installed, spoolConfig.cmake finds these before it defines spool::spool_static, and
# spool.pc lists the same as Libs.private.
set_property(TARGET spool_static PROPERTY INTERFACE_LINK_LIBRARIES
             $<BUILD_INTERFACE:spool_report>
             $<INSTALL_INTERFACE:PkgConfig::spool_private_dependencies>
             $<INSTALL_INTERFACE:ZLIB::ZLIB>
             $<INSTALL_INTERFACE:Threads::Threads>
             $<INSTALL_INTERFACE:stdc++>
             $<INSTALL_INTERFACE:m>)
set(SPOOL_PRIVATE_PKG_CONFIG_MODULES liburing libxxhash libzstd libcurl rdkafka libcrypto)

# Two export sets, so that find_package(spool) for the shared library needs none of the
# development files libspool.a's dependencies need (spoolConfig.cmake.in).
install(TARGETS spool EXPORT spoolTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS spool_static EXPORT spoolStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(EXPORT spoolTargets NAMESPACE spool:: DESTINATION ${SPOOL_INSTALL_CMAKEDIR} COMPONENT dev)
install(EXPORT spoolStaticTargets NAMESPACE spool:: DESTINATION ${SPOOL_INSTALL_CMAKEDIR} COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/spoolConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/install/spoolConfig.cmake
                              INSTALL_DESTINATION ${SPOOL_INSTALL_CMAKEDIR})
# The SONAME promises ABI compatibility within a major version; the package promises the same.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/install/spoolConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/install/spoolConfig.cmake
              ${PROJECT_BINARY_DIR}/install/spoolConfigVersion.cmake
        DESTINATION ${SPOOL_INSTALL_CMAKEDIR} COMPONENT dev)

# spool.pc finds the prefix from its own directory (${pcfiledir}), unless the directories
# were configured as absolute paths (then they are what they say).
file(RELATIVE_PATH SPOOL_PC_PREFIX_FROM_PCFILEDIR
     /spool_prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /spool_prefix)
string(REGEX REPLACE "/$" "" SPOOL_PC_PREFIX_FROM_PCFILEDIR "${SPOOL_PC_PREFIX_FROM_PCFILEDIR}")
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(SPOOL_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(SPOOL_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
# libspool.a's dependencies go into Libs.private as plain -l flags, not Requires.private:
# pkg-config --static would then also list what each of them links when static (libcurl's
# TLS, LDAP, Kerberos, ...), whereas libspool.a is linked against the shared system libraries.
set(SPOOL_PC_LIBS_PRIVATE "")
foreach(library ${URING_LIBRARIES} ${XXHASH_LIBRARIES} ${ZSTD_LIBRARIES} ${CURL_LIBRARIES} ${RDKAFKA_LIBRARIES} ${CRYPTO_LIBRARIES} z stdc++ m)
  string(APPEND SPOOL_PC_LIBS_PRIVATE " -l${library}")
endforeach()
string(APPEND SPOOL_PC_LIBS_PRIVATE " -pthread")
string(STRIP "${SPOOL_PC_LIBS_PRIVATE}" SPOOL_PC_LIBS_PRIVATE)
configure_file(${CMAKE_CURRENT_LIST_DIR}/spool.pc.in ${PROJECT_BINARY_DIR}/install/spool.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/install/spool.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

install(TARGETS spoolctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
if(TARGET spoold)
  install(TARGETS spoold RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()

# The Python package, beside the library it loads: _native.py looks for
# <prefix>/lib/libspool.so.0 four levels above its own folder.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/spool
        DESTINATION ${CMAKE_INSTALL_DATADIR}/spool/python COMPONENT runtime
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)

# packaging/: the agent's systemd unit and its container image, once they exist.
set(SPOOL_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
if(EXISTS ${SPOOL_PACKAGING_DIR})
  file(GLOB SPOOL_SYSTEMD_UNITS CONFIGURE_DEPENDS ${SPOOL_PACKAGING_DIR}/*.service ${SPOOL_PACKAGING_DIR}/systemd/*.service)
  if(SPOOL_SYSTEMD_UNITS)
    install(FILES ${SPOOL_SYSTEMD_UNITS} DESTINATION ${SPOOL_INSTALL_SYSTEMD_UNITDIR} COMPONENT runtime)
  endif()
  file(GLOB SPOOL_DOCKERFILES CONFIGURE_DEPENDS ${SPOOL_PACKAGING_DIR}/Dockerfile* ${SPOOL_PACKAGING_DIR}/docker/Dockerfile*)
  if(SPOOL_DOCKERFILES)
    install(FILES ${SPOOL_DOCKERFILES} DESTINATION ${CMAKE_INSTALL_DATADIR}/spool/packaging COMPONENT runtime)
  endif()
endif()
