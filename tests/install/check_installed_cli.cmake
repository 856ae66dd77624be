# cmake -DBUILD=dir -DSOURCE=dir -DSCENES=examples/scenes -DSCENE=name.png [-DOBJCOPY=objcopy]
#       [-DSANITIZE=ON] -P check_installed_cli.cmake
# What a user gets from `cmake --install`: the installed vkcap must caption an image with the
# bundled model while neither the source tree nor the build tree can help it. The prefix is
# installed into a temporary directory, then moved elsewhere (so nothing can rely on the install
# path either), and the binary runs from a third directory with an empty HOME. The binary must
# not contain the source or build path at all, and when this runs as root with unshare(1), it
# also runs once in a private mount namespace where both trees are covered by empty tmpfs mounts.
foreach(var BUILD SOURCE SCENES SCENE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_installed_cli.cmake needs -D${var}=...")
  endif()
endforeach()

# The scratch directory must lie outside both trees, or covering them would cover it too.
if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(tmp_root "$ENV{TMPDIR}")
else()
  set(tmp_root /tmp)
endif()
string(RANDOM LENGTH 10 suffix)
file(REAL_PATH "${tmp_root}" tmp_root)
set(work "${tmp_root}/vkcap-install-test-${suffix}")
file(REAL_PATH "${SOURCE}" source_real)
file(REAL_PATH "${BUILD}" build_real)
foreach(tree "${source_real}" "${build_real}")
  string(FIND "${work}/" "${tree}/" at)
  if(at EQUAL 0)
    message(FATAL_ERROR "the scratch directory ${work} is inside ${tree}; set TMPDIR elsewhere")
  endif()
endforeach()
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}/home" "${work}/cwd" "${work}/moved")

# Every failure below removes the scratch directory first.
function(fail text)
  file(REMOVE_RECURSE "${work}")
  message(FATAL_ERROR "${text}")
endfunction()

execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD}" --prefix "${work}/staged"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("cmake --install ${BUILD} --prefix ${work}/staged exited with ${rc}:\n${out}${err}")
endif()
file(RENAME "${work}/staged" "${work}/moved/prefix")
set(prefix "${work}/moved/prefix")
set(vkcap "${prefix}/bin/vkcap")
set(model "${prefix}/share/vkcap/models/vkcap-shapes")
if(NOT EXISTS "${vkcap}")
  fail("cmake --install did not install the vkcap binary (no bin/vkcap under the prefix)")
endif()
if(NOT EXISTS "${model}/config.json" OR NOT EXISTS "${model}/model.safetensors")
  fail("cmake --install did not install the default model into share/vkcap/models/vkcap-shapes")
endif()
# The goldens of `vkcap selftest`, which it finds at ../share/vkcap/selftest from bin/.
foreach(golden blip_tiny_a vitgpt2_tiny_a florence2_tiny_a)
  foreach(file config.json expected.json model.safetensors)
    if(NOT EXISTS "${prefix}/share/vkcap/selftest/${golden}/${file}")
      fail("cmake --install did not install the selftest golden file share/vkcap/selftest/${golden}/${file}")
    endif()
  endforeach()
  file(GLOB golden_images "${prefix}/share/vkcap/selftest/${golden}/img*.png")
  if(NOT golden_images)
    fail("cmake --install did not install the images of the selftest golden ${golden}")
  endif()
endforeach()

# No compiled-in path into either tree. Debug information (Debug/RelWithDebInfo builds) names
# the source files by design and is never read at run time, so a copy without it is scanned.
# Sanitizer builds keep source file names in their instrumentation data (for their reports), so
# there the scan cannot tell and is reported as not done.
if(SANITIZE)
  message("NOT CHECKED: the binary scan for source/build paths (a sanitizer build names its "
          "source files in its instrumentation data)")
else()
  set(scanned "${vkcap}")
  if(OBJCOPY)
    set(scanned "${work}/vkcap.nodebug")
    execute_process(COMMAND ${OBJCOPY} --strip-debug "${vkcap}" "${scanned}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      fail("${OBJCOPY} --strip-debug ${vkcap} failed")
    endif()
  endif()
  set(tree_paths "${SOURCE}" "${BUILD}" "${source_real}" "${build_real}")
  list(REMOVE_DUPLICATES tree_paths)
  foreach(path IN LISTS tree_paths)
    string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" pattern "${path}")
    file(STRINGS "${scanned}" hits REGEX "${pattern}")
    if(hits)
      list(GET hits 0 first)
      fail("the installed binary contains the path ${path}, e.g. in the string '${first}'")
    endif()
  endforeach()
  list(JOIN tree_paths ", " tree_list)
  message("checked: the installed binary (debug info aside) holds none of ${tree_list}")
endif()

# The expected caption of the chosen scene, from the examples' own table.
file(STRINGS "${SCENES}/expected.tsv" rows)
set(expected "")
foreach(row IN LISTS rows)
  string(REPLACE "\t" ";" fields "${row}")
  list(GET fields 0 name)
  if(name STREQUAL SCENE)
    list(GET fields 1 expected)
  endif()
endforeach()
if(expected STREQUAL "")
  fail("${SCENE} has no row in ${SCENES}/expected.tsv")
endif()
file(COPY "${SCENES}/${SCENE}" DESTINATION "${work}/cwd")

# Nothing from the caller's environment may point the binary at a model or a cache.
set(ENV{HOME} "${work}/home")
foreach(var VKCAP_DEFAULT_MODEL VKCAP_CACHE_DIR XDG_CACHE_HOME HF_HOME HF_HUB_CACHE HUGGINGFACE_HUB_CACHE)
  unset(ENV{${var}})
endforeach()

# Checks one run's result: exit code, no validation message, the bundled model from the
# relocated prefix, and the expected caption.
function(check_run label rc out err)
  if(NOT rc EQUAL 0)
    fail("${label}: vkcap caption exited with ${rc}:\n${err}")
  endif()
  if(err MATCHES "Vulkan validation")
    fail("${label}: the Vulkan validation layer reported a problem:\n${err}")
  endif()
  if(NOT err MATCHES "using the bundled default model ([^ ]+)")
    fail("${label}: vkcap did not say it used the bundled default model:\n${err}")
  endif()
  if(NOT CMAKE_MATCH_1 STREQUAL model)
    fail("${label}: vkcap used the default model at ${CMAKE_MATCH_1}, not the installed ${model}")
  endif()
  string(STRIP "${out}" out)
  if(NOT out STREQUAL "${SCENE}\t${expected}")
    fail("${label}: expected '${SCENE}<TAB>${expected}', got '${out}'")
  endif()
  message("checked: ${label}: '${expected}'")
endfunction()

execute_process(COMMAND "${vkcap}" caption "${SCENE}" WORKING_DIRECTORY "${work}/cwd"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
check_run("relocated prefix, other cwd, empty HOME" "${rc}" "${out}" "${err}")

# The strongest form: the trees are not there at all. Needs root (or CAP_SYS_ADMIN) for the
# mount namespace; without it this check is reported as not done, never as passed.
set(masked "NOT CHECKED")
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
find_program(UNSHARE unshare)
if(NOT uid STREQUAL "0")
  set(why "not running as root")
elseif(NOT UNSHARE)
  set(why "unshare(1) not found")
else()
  file(MAKE_DIRECTORY "${work}/probe")
  execute_process(COMMAND ${UNSHARE} -m sh -c "mount -t tmpfs none \"$1\"" sh "${work}/probe"
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  string(STRIP "${err}" err)
  if(rc EQUAL 0)
    set(masked "")
  else()
    set(why "a tmpfs mount in a private mount namespace failed, exit ${rc}: ${err}")
  endif()
endif()
if(masked STREQUAL "")
  # The build tree first: it may lie inside the source tree, which hides it once covered.
  # Inside, the source tree's CMakeLists.txt must be gone before vkcap runs.
  set(script [=[
mount -t tmpfs none "$1" || exit 90
if [ -d "$2" ]; then mount -t tmpfs none "$2" || exit 90; fi
if [ -e "$2/CMakeLists.txt" ] || [ -e "$1/CMakeCache.txt" ]; then exit 91; fi
cd "$3" && exec "$4" caption "$5"
]=])
  execute_process(COMMAND ${UNSHARE} -m sh -c "${script}" sh "${build_real}" "${source_real}" "${work}/cwd"
                          "${vkcap}" "${SCENE}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 90 OR rc EQUAL 91)
    fail("could not cover ${build_real} and ${source_real} with tmpfs (exit ${rc}):\n${err}")
  endif()
  check_run("source and build trees covered by tmpfs" "${rc}" "${out}" "${err}")
else()
  message("NOT CHECKED: running with the source and build trees covered by tmpfs (${why}); "
          "only the checks above were done")
endif()
file(REMOVE_RECURSE "${work}")
