# The bundled default model (assets/models/vkcap-shapes) must be found by the vkcap binary
# wherever that binary is, without a path into the source tree compiled in (a moved or deleted
# clone, or an installed copy, would otherwise break or silently read stale files). Two places,
# both relative to the binary's own directory:
#   installed:  <prefix>/bin/vkcap → <prefix>/share/vkcap/models/vkcap-shapes (Install.cmake
#               puts it there; the relative path follows CMAKE_INSTALL_BINDIR/DATADIR)
#   build tree: <build>/vkcap      → <build>/share/vkcap/models/vkcap-shapes (copied below, so
#               a build directory outside the source tree works the same as build/)
# vkcap_use_default_model(target) adds both to a target and makes it depend on the copy.
include(GNUInstallDirs)

set(VKCAP_DEFAULT_MODEL_NAME vkcap-shapes)
set(VKCAP_DEFAULT_MODEL_SOURCE ${CMAKE_SOURCE_DIR}/assets/models/${VKCAP_DEFAULT_MODEL_NAME})
set(VKCAP_MODELS_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/vkcap/models)
set(VKCAP_MODELS_BUILD_SUBDIR share/vkcap/models)

file(RELATIVE_PATH VKCAP_MODELS_FROM_INSTALLED_BIN
     ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR}/vkcap/models)

file(GLOB model_files CONFIGURE_DEPENDS ${VKCAP_DEFAULT_MODEL_SOURCE}/*)
set(model_copy_dir ${CMAKE_BINARY_DIR}/${VKCAP_MODELS_BUILD_SUBDIR}/${VKCAP_DEFAULT_MODEL_NAME})
set(model_copies "")
foreach(file ${model_files})
  get_filename_component(name ${file} NAME)
  list(APPEND model_copies ${model_copy_dir}/${name})
endforeach()
add_custom_command(OUTPUT ${model_copies}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${model_copy_dir}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${model_files} ${model_copy_dir}
  DEPENDS ${model_files}
  COMMENT "Copying the default model into ${VKCAP_MODELS_BUILD_SUBDIR}/${VKCAP_DEFAULT_MODEL_NAME}"
  VERBATIM)
add_custom_target(vkcap_default_model DEPENDS ${model_copies})

function(vkcap_use_default_model target)
  add_dependencies(${target} vkcap_default_model)
  target_compile_definitions(${target} PRIVATE
    VKCAP_DEFAULT_MODEL_NAME="${VKCAP_DEFAULT_MODEL_NAME}"
    VKCAP_MODELS_FROM_INSTALLED_BIN="${VKCAP_MODELS_FROM_INSTALLED_BIN}"
    VKCAP_MODELS_FROM_BUILD_BIN="${VKCAP_MODELS_BUILD_SUBDIR}")
endfunction()
