# cmake -DVKCAP=bin -DEVAL=tools/eval_default_model.py -DSAMPLE=dir -DOUT=file -DFLOORS="--min-..." -P run_eval.cmake
# The default model's quality check on a small sample, end to end: the real vkcap binary
# captions SAMPLE/images/*.png (bundled model, greedy, jsonl), then the same tools/ command that
# scores the 500-scene evaluation compares the captions with the scenes' references and the
# token ids with PyTorch's greedy output in SAMPLE/results.json, and fails below FLOORS.
file(GLOB images ${SAMPLE}/images/*.png)
list(LENGTH images count)
if(count EQUAL 0)
  message(FATAL_ERROR "no images in ${SAMPLE}/images")
endif()
file(REMOVE ${OUT})
execute_process(COMMAND ${VKCAP} caption --format jsonl -o ${OUT} ${images}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
message("${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vkcap caption exited with ${rc}")
endif()
if(err MATCHES "Vulkan validation")
  message(FATAL_ERROR "the Vulkan validation layer reported a problem")
endif()
find_program(PYTHON3 python3 REQUIRED)
separate_arguments(floors UNIX_COMMAND "${FLOORS}")
execute_process(COMMAND ${PYTHON3} ${EVAL} --score ${OUT} --results ${SAMPLE}/results.json ${floors}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "below the floors (${FLOORS})")
endif()
if(NOT out MATCHES "token ids equal to PyTorch: ${count}/${count}")
  message(FATAL_ERROR "every one of the ${count} token sequences must equal PyTorch's")
endif()
