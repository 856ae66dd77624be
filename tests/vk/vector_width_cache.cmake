# cmake -DTEST_KERNELS=bin -DCACHE=dir -P vector_width_cache.cmake
# Mesa 25.0's llvmpipe stores its texel-fetch code in the on-disk shader cache under a key that
# leaves out the vector width, so one cache shared by runs at 256 and 512 bits hands 256-bit code
# to a 512-bit process (the texel linears then compute garbage) and 512-bit code to a 256-bit one
# (a crash). vkcap keeps Mesa's cache in a directory per width (src/vk/cpu_vector_width.cpp).
# This runs the texel linears at 256 bits, then at 512 bits with the same fresh cache home, as a
# user upgrading to an AVX-512 default would.
file(REMOVE_RECURSE ${CACHE})
foreach(width 256 512)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env --unset=MESA_SHADER_CACHE_DIR --unset=MESA_SHADER_CACHE_DISABLE
            --unset=VKCAP_CACHE_DIR XDG_CACHE_HOME=${CACHE} LP_NATIVE_VECTOR_WIDTH=${width} VKCAP_VALIDATE=1
            ${TEST_KERNELS} "-tc=linear: matrix-vector path*"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "test_kernels at ${width} bits after a ${CACHE} shared with other widths failed (${rc}):\n${out}\n${err}")
  endif()
  if(NOT out MATCHES "test cases: +1 \\| +1 passed")
    message(FATAL_ERROR "test_kernels at ${width} bits did not run the linear test case:\n${out}")
  endif()
endforeach()
