# `cmake --install` puts the command-line tool, its default model and the library where users
# and other CMake projects find them:
#   bin/vkcap                              the CLI
#   share/vkcap/models/vkcap-shapes/       the bundled default model (found relative to bin/vkcap,
#                                          see DefaultModel.cmake)
#   share/vkcap/selftest/<golden>/         the goldens of `vkcap selftest` (SelftestGoldens.cmake)
#   include/vkcap/*.h                      the public headers (self-contained, no Vulkan types)
#   lib/libvkcap_<layer>.a                 every layer's static archive and the shader blobs
#   lib/cmake/vkcap/vkcapConfig.cmake      find_package(vkcap) → target vkcap::vkcap
# The config file is written here rather than exported, because the in-tree layer targets carry
# source-tree include paths (src/) that users must never need; it declares each archive as an
# IMPORTED target with its layer dependencies, so the linker sees them in a working order.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(VKCAP_INSTALL_LAYERS util shaders vk kernels text image model generate api)
set(VKCAP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/vkcap)

install(TARGETS vkcap_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${VKCAP_DEFAULT_MODEL_SOURCE} DESTINATION ${VKCAP_MODELS_INSTALL_DIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/vkcap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
foreach(layer ${VKCAP_INSTALL_LAYERS})
  install(TARGETS vkcap_${layer} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endforeach()

# Paths in the config are relative to its own directory, so the prefix can move (--prefix,
# DESTDIR, a copied tree).
file(RELATIVE_PATH vkcap_rel_include "/prefix/${VKCAP_INSTALL_CMAKEDIR}" "/prefix/${CMAKE_INSTALL_INCLUDEDIR}")
file(RELATIVE_PATH vkcap_rel_lib "/prefix/${VKCAP_INSTALL_CMAKEDIR}" "/prefix/${CMAKE_INSTALL_LIBDIR}")

set(vkcap_config ${CMAKE_BINARY_DIR}/cmake/vkcapConfig.cmake)
file(WRITE ${vkcap_config} [=[
# vkcap's CMake package: find_package(vkcap) then target_link_libraries(app PRIVATE vkcap::vkcap).
include(CMakeFindDependencyMacro)
find_dependency(Vulkan)
find_dependency(Threads)
find_dependency(PkgConfig)
pkg_check_modules(VKCAP_EXIF REQUIRED IMPORTED_TARGET libexif)
pkg_check_modules(VKCAP_WEBP REQUIRED IMPORTED_TARGET libwebp libwebpdemux)
pkg_check_modules(VKCAP_TIFF REQUIRED IMPORTED_TARGET libtiff-4)
pkg_check_modules(VKCAP_HEIF REQUIRED IMPORTED_TARGET libheif)
pkg_check_modules(VKCAP_OPENBLAS REQUIRED IMPORTED_TARGET openblas)

get_filename_component(_vkcap_include "${CMAKE_CURRENT_LIST_DIR}/@vkcap_rel_include@" ABSOLUTE)
get_filename_component(_vkcap_lib "${CMAKE_CURRENT_LIST_DIR}/@vkcap_rel_lib@" ABSOLUTE)

# Each layer links only the layers above it (src/<layer>, docs/design.md).
set(_vkcap_deps_util Threads::Threads)
set(_vkcap_deps_shaders "")
set(_vkcap_deps_vk vkcap::util vkcap::shaders Vulkan::Vulkan)
set(_vkcap_deps_kernels vkcap::vk PkgConfig::VKCAP_OPENBLAS)
set(_vkcap_deps_text vkcap::util)
set(_vkcap_deps_image vkcap::util PkgConfig::VKCAP_EXIF PkgConfig::VKCAP_WEBP PkgConfig::VKCAP_TIFF PkgConfig::VKCAP_HEIF)
set(_vkcap_deps_model vkcap::kernels vkcap::text vkcap::image)
set(_vkcap_deps_generate vkcap::util)
set(_vkcap_deps_api vkcap::generate vkcap::model)
foreach(_layer @VKCAP_INSTALL_LAYERS@)
  if(NOT TARGET vkcap::${_layer})
    add_library(vkcap::${_layer} STATIC IMPORTED)
    set_target_properties(vkcap::${_layer} PROPERTIES
      IMPORTED_LOCATION "${_vkcap_lib}/${CMAKE_STATIC_LIBRARY_PREFIX}vkcap_${_layer}${CMAKE_STATIC_LIBRARY_SUFFIX}"
      INTERFACE_LINK_LIBRARIES "${_vkcap_deps_${_layer}}")
  endif()
endforeach()

if(NOT TARGET vkcap::vkcap)
  add_library(vkcap::vkcap INTERFACE IMPORTED)
  set_target_properties(vkcap::vkcap PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_vkcap_include}"
    INTERFACE_COMPILE_FEATURES cxx_std_20
    INTERFACE_LINK_LIBRARIES "vkcap::api;vkcap::generate;vkcap::model;vkcap::kernels;vkcap::vk;vkcap::shaders;vkcap::text;vkcap::image;vkcap::util;Vulkan::Vulkan;PkgConfig::VKCAP_EXIF;PkgConfig::VKCAP_WEBP;PkgConfig::VKCAP_TIFF;PkgConfig::VKCAP_HEIF;PkgConfig::VKCAP_OPENBLAS;Threads::Threads")
endif()
set(vkcap_FOUND TRUE)
]=])
file(READ ${vkcap_config} content)
string(REPLACE "@vkcap_rel_include@" "${vkcap_rel_include}" content "${content}")
string(REPLACE "@vkcap_rel_lib@" "${vkcap_rel_lib}" content "${content}")
string(REPLACE "@VKCAP_INSTALL_LAYERS@" "${VKCAP_INSTALL_LAYERS}" content "${content}")
file(WRITE ${vkcap_config} "${content}")

write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/vkcapConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${vkcap_config} ${CMAKE_BINARY_DIR}/cmake/vkcapConfigVersion.cmake
        DESTINATION ${VKCAP_INSTALL_CMAKEDIR})
