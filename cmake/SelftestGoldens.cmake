# The small goldens `vkcap selftest` checks end to end (tiny BLIP, ViT-GPT2 and Florence-2
# checkpoints with transformers' token ids, tests/fixtures/<name>), found relative to the binary
# like the default model (DefaultModel.cmake):
#   installed:  <prefix>/bin/vkcap → <prefix>/share/vkcap/selftest/<name>
#   build tree: <build>/vkcap      → <build>/share/vkcap/selftest/<name>
# Only what a caption needs is copied (not the reference tensors, expected_tensors.safetensors).
include(GNUInstallDirs)

set(VKCAP_SELFTEST_GOLDENS blip_tiny_a vitgpt2_tiny_a florence2_tiny_a)
set(VKCAP_SELFTEST_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/vkcap/selftest)
set(VKCAP_SELFTEST_BUILD_SUBDIR share/vkcap/selftest)
file(RELATIVE_PATH VKCAP_SELFTEST_FROM_INSTALLED_BIN
     ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR}/vkcap/selftest)

set(selftest_copies "")
foreach(golden ${VKCAP_SELFTEST_GOLDENS})
  file(GLOB golden_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fixtures/${golden}/*)
  list(FILTER golden_files EXCLUDE REGEX "expected_tensors\\.safetensors$")
  set(copy_dir ${CMAKE_BINARY_DIR}/${VKCAP_SELFTEST_BUILD_SUBDIR}/${golden})
  set(copies "")
  foreach(file ${golden_files})
    get_filename_component(name ${file} NAME)
    list(APPEND copies ${copy_dir}/${name})
  endforeach()
  add_custom_command(OUTPUT ${copies}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${copy_dir}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${golden_files} ${copy_dir}
    DEPENDS ${golden_files}
    COMMENT "Copying the selftest golden ${golden} into ${VKCAP_SELFTEST_BUILD_SUBDIR}"
    VERBATIM)
  list(APPEND selftest_copies ${copies})
  install(FILES ${golden_files} DESTINATION ${VKCAP_SELFTEST_INSTALL_DIR}/${golden})
endforeach()
add_custom_target(vkcap_selftest_goldens DEPENDS ${selftest_copies})

function(vkcap_use_selftest_goldens target)
  add_dependencies(${target} vkcap_selftest_goldens)
  target_compile_definitions(${target} PRIVATE
    VKCAP_SELFTEST_FROM_INSTALLED_BIN="${VKCAP_SELFTEST_FROM_INSTALLED_BIN}"
    VKCAP_SELFTEST_FROM_BUILD_BIN="${VKCAP_SELFTEST_BUILD_SUBDIR}")
endfunction()
