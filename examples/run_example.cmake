# cmake -DCOMMAND="exe;args..." [-DEXPECT=text] [-DEXPECT_FILE=path] -P run_example.cmake
# Runs an example and fails unless it exits 0, prints no Vulkan validation message, prints
# exactly EXPECT on stdout (when given) and leaves EXPECT_FILE behind (when given).
if(EXPECT_FILE)
  file(REMOVE ${EXPECT_FILE})
endif()
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example exited with ${rc}")
endif()
# The layer logs to stdout ("Validation Error: ...", "Validation Warning: ...",
# "Validation Performance Warning: ..."); a validation callback of the app's own would say
# "validation" on stderr.
if(out MATCHES "Validation (Error|Warning|Performance)" OR err MATCHES "[Vv]alidation")
  message(FATAL_ERROR "the Vulkan validation layer reported a problem")
endif()
if(DEFINED EXPECT AND NOT out STREQUAL EXPECT)
  message(FATAL_ERROR "expected output '${EXPECT}', got '${out}'")
endif()
if(EXPECT_FILE AND NOT EXISTS ${EXPECT_FILE})
  message(FATAL_ERROR "${EXPECT_FILE} was not written")
endif()
