# Installation: libraries, headers, the CLI, a CMake package (annodb::) and a
# pkg-config file. Included at the end of the top-level CMakeLists.txt, after
# every target exists.
#
# Installed layout (relative to the prefix):
#   lib/libannodb.so*                 the C ABI (target annodb)
#   lib/libannodb_engine.a            the C++ API (target annodb_engine)
#   bin/annodb                        the command-line program (target annodb_cli)
#   include/annodb/*.h                engine and C ABI headers
#   include/annodb/schema/*_generated.h  FlatBuffers headers generated from schema/
#   share/annodb/schema/*.fbs         the schemas themselves
#   lib/cmake/annodb/                 annodbConfig.cmake, version, targets
#   lib/pkgconfig/annodb.pc           pkg-config file for the C ABI
# ("lib" is CMAKE_INSTALL_LIBDIR, e.g. lib/x86_64-linux-gnu for prefix /usr.)

include(CMakePackageConfigHelpers)

set(ANNODB_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/annodb)

set(_annodb_export_targets annodb_schema annodb_engine)
if(TARGET annodb)
  list(APPEND _annodb_export_targets annodb)
endif()
if(TARGET annodb_cli)
  list(APPEND _annodb_export_targets annodb_cli)
endif()

install(TARGETS ${_annodb_export_targets}
  EXPORT annodbTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Headers (globbed; CONFIGURE_DEPENDS re-checks the lists at build time).
file(GLOB _annodb_engine_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/engine/include/annodb/*.h)
file(GLOB _annodb_c_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bindings/c/include/annodb/*.h)
install(FILES ${_annodb_engine_headers} ${_annodb_c_headers}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/annodb)
if(ANNODB_GENERATED_HEADERS)
  install(FILES ${ANNODB_GENERATED_HEADERS}
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/annodb/schema)
endif()
if(ANNODB_SCHEMA_FILES)
  set(_annodb_fbs ${ANNODB_SCHEMA_FILES})
else()
  file(GLOB _annodb_fbs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/schema/*.fbs)
endif()
install(FILES ${_annodb_fbs} DESTINATION ${CMAKE_INSTALL_DATADIR}/annodb/schema)

# The dependencies the package must find for its consumers: every imported
# target in the exported link interfaces (for the static engine that includes
# its PRIVATE dependencies, as $<LINK_ONLY:...>). Derived from the targets so
# that a dependency added to the engine is carried into annodbConfig.cmake.
set(_annodb_dep_targets "")
foreach(_t IN LISTS _annodb_export_targets)
  get_target_property(_libs ${_t} INTERFACE_LINK_LIBRARIES)
  if(_libs)
    foreach(_lib IN LISTS _libs)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _lib "${_lib}")
      if(_lib MATCHES "::" AND NOT _lib IN_LIST _annodb_dep_targets)
        list(APPEND _annodb_dep_targets ${_lib})
      endif()
    endforeach()
  endif()
endforeach()
set(ANNODB_CONFIG_DEPENDENCIES "")
set(_annodb_boost_components "")
set(_annodb_found_boost FALSE)
foreach(_dep IN LISTS _annodb_dep_targets)
  if(_dep STREQUAL "Threads::Threads")
    set(_line "find_dependency(Threads)")
  elseif(_dep MATCHES "^simdjson::")
    set(_line "find_dependency(simdjson)")
  elseif(_dep MATCHES "^nlohmann_json::")
    set(_line "find_dependency(nlohmann_json 3)")
  elseif(_dep MATCHES "^flatbuffers::")
    set(_line "find_dependency(FlatBuffers)")
  elseif(_dep MATCHES "^CLI11::")
    set(_line "find_dependency(CLI11)")
  elseif(_dep MATCHES "^Boost::(.*)$")
    if(NOT CMAKE_MATCH_1 MATCHES "^(headers|boost|disable_autolinking|dynamic_linking|diagnostic_definitions)$")
      list(APPEND _annodb_boost_components ${CMAKE_MATCH_1})
    endif()
    set(_annodb_found_boost TRUE)
    continue()
  elseif(_dep MATCHES "^PkgConfig::(.*)$")
    # pkg_check_modules(<prefix> ... <module>) recorded <prefix>_MODULE_NAME.
    set(_prefix "${CMAKE_MATCH_1}")
    if(NOT ${_prefix}_MODULE_NAME)
      message(WARNING "cmake/install.cmake: no pkg-config module name for '${_dep}'; "
        "the installed annodb package cannot find it for its consumers.")
      continue()
    endif()
    set(_line "_annodb_find_pkgconfig(${_prefix} ${${_prefix}_MODULE_NAME})")
  elseif(_dep MATCHES "^annodb::")
    continue()
  else()
    message(WARNING "cmake/install.cmake: the installed annodb package does not know how to "
      "find '${_dep}' for its consumers; add it to the list in cmake/install.cmake.")
    continue()
  endif()
  string(APPEND ANNODB_CONFIG_DEPENDENCIES "${_line}\n")
endforeach()
if(_annodb_found_boost)
  set(_line "find_dependency(Boost ${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR}")
  if(_annodb_boost_components)
    list(REMOVE_DUPLICATES _annodb_boost_components)
    string(REPLACE ";" " " _c "${_annodb_boost_components}")
    string(APPEND _line " COMPONENTS ${_c}")
  endif()
  string(APPEND ANNODB_CONFIG_DEPENDENCIES "${_line})\n")
endif()

# CMake package: find_package(annodb CONFIG) -> annodb::annodb, annodb::annodb_engine.
install(EXPORT annodbTargets
  NAMESPACE annodb::
  FILE annodbTargets.cmake
  DESTINATION ${ANNODB_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/annodbConfig.cmake.in
  ${PROJECT_BINARY_DIR}/annodbConfig.cmake
  INSTALL_DESTINATION ${ANNODB_INSTALL_CMAKEDIR})
# 0.x: minor versions may break compatibility.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/annodbConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/annodbConfig.cmake
  ${PROJECT_BINARY_DIR}/annodbConfigVersion.cmake
  DESTINATION ${ANNODB_INSTALL_CMAKEDIR})

# pkg-config file for the C ABI. Its prefix is the one the files are
# installed to, known only at install time (`cmake --install --prefix`), so
# the file is configured in two steps: here everything but the prefix, at
# install time the prefix. (A ${pcfiledir}-relative prefix would be
# relocatable, but for prefix /usr it yields -I/usr/lib/.../../../include,
# which pkg-config does not recognise as a system directory.)
if(TARGET annodb)
  set(_annodb_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  set(ANNODB_PC_PREFIX "@ANNODB_PC_PREFIX@")  # kept for the install-time step
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(ANNODB_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  else()
    set(ANNODB_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  endif()
  if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(ANNODB_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
  else()
    set(ANNODB_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  configure_file(${CMAKE_CURRENT_LIST_DIR}/annodb.pc.in ${PROJECT_BINARY_DIR}/annodb.pc.stage @ONLY)
  install(CODE "
    set(ANNODB_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${PROJECT_BINARY_DIR}/annodb.pc.stage\" \"${PROJECT_BINARY_DIR}/annodb.pc\" @ONLY)
  ")
  install(FILES ${PROJECT_BINARY_DIR}/annodb.pc DESTINATION ${_annodb_pc_dir})
endif()
