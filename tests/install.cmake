# Installs the build tree into a scratch prefix and builds a small consumer
# project against it, through the CMake package (find_package(annodb CONFIG))
# and through pkg-config. Included by tests/CMakeLists.txt.
#
# Needs the C ABI (target annodb). Not registered in sanitizer builds: their
# libraries need the sanitizer runtime in every consumer, which is not what
# this test is about.
if(TARGET annodb AND NOT ANNODB_SANITIZE)
  set(_annodb_cli_expected "")
  if(TARGET annodb_cli)
    set(_annodb_cli_expected "${CMAKE_INSTALL_BINDIR}/$<TARGET_FILE_NAME:annodb_cli>")
  endif()
  add_test(NAME "install: consumer builds against installed tree"
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install_consumer/run.sh
      ${CMAKE_BINARY_DIR}
      ${CMAKE_CURRENT_BINARY_DIR}/install_test
      ${CMAKE_INSTALL_LIBDIR}
      ${CMAKE_COMMAND}
      ${CMAKE_C_COMPILER}
      ${CMAKE_CXX_COMPILER}
      ${PROJECT_VERSION}
      "${_annodb_cli_expected}")
  # It runs cmake --install, a configure and a build: give it time, and keep
  # it away from tests that hog both cores.
  set_tests_properties("install: consumer builds against installed tree" PROPERTIES
    TIMEOUT 600 RUN_SERIAL TRUE)
endif()
