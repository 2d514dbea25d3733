# Builds and runs examples/embed.c (the C embedding example) against a fresh
# store directory, then once more on the same store (the example is
# re-runnable: its puts are upserts). Passes on exit code 0. Included by
# tests/CMakeLists.txt.
if(TARGET embed)
  set(_embed_store ${CMAKE_CURRENT_BINARY_DIR}/capi_example_store)
  # A fixture empties the directory first, so every run starts from scratch.
  add_test(NAME "capi: examples/embed fresh dir" COMMAND ${CMAKE_COMMAND} -E rm -rf ${_embed_store})
  add_test(NAME "capi: examples/embed runs" COMMAND $<TARGET_FILE:embed> ${_embed_store})
  add_test(NAME "capi: examples/embed runs again on its store" COMMAND $<TARGET_FILE:embed> ${_embed_store})
  set_tests_properties("capi: examples/embed fresh dir" PROPERTIES FIXTURES_SETUP capi_embed_dir)
  set_tests_properties("capi: examples/embed runs" PROPERTIES
    FIXTURES_REQUIRED capi_embed_dir FIXTURES_SETUP capi_embed_store TIMEOUT 120)
  set_tests_properties("capi: examples/embed runs again on its store" PROPERTIES
    FIXTURES_REQUIRED "capi_embed_dir;capi_embed_store" TIMEOUT 120)
endif()

# annodb.h must compile as strict C99 (and C11, through examples/embed.c).
if(TARGET annodb)
  add_library(capi_header_c99 OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/capi/header_c99.c)
  set_target_properties(capi_header_c99 PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(capi_header_c99 PRIVATE -Wall -Wextra -Werror -pedantic)
  target_include_directories(capi_header_c99 PRIVATE ${PROJECT_SOURCE_DIR}/bindings/c/include)
  if(TARGET test_capi)
    add_dependencies(test_capi capi_header_c99)
  endif()
endif()
