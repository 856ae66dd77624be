# What the fuzz targets are and which sources they exercise; shared by the libFuzzer build
# (CMakeLists.txt here, clang only) and the corpus replay test (replay/, any compiler).
#
# Every target is tests/fuzz/fuzz_<name>.cpp defining LLVMFuzzerTestOneInput, with its corpus
# in tests/fuzz/corpus/<name>/.
set(VKCAP_FUZZ_TARGETS
  safetensors      # parse_safetensors on the bytes of a file
  torch_zip        # read_stored_zip, then TorchCheckpoint over the same bytes as a file
  torch_pickle     # read_torch_state_dict_pickle on a data.pkl stream
  json_configs     # config.json, preprocessor_config.json, model.safetensors.index.json
  tokenizer_files  # vocab.txt / vocab.json + merges.txt / tokenizer.json (+ their configs)
  tokenizer_text   # encode and decode of arbitrary bytes with fixture tokenizers
  florence2_answer # Florence-2 post-processing of arbitrary generated text, every task
  image)           # decode_image_memory, EXIF orientation, BLIP and ViT preprocessing

# The file-format part of the model layer: everything that reads a model directory without
# Vulkan (the rest of src/model needs a device).
set(VKCAP_FUZZ_MODEL_SOURCES
  ${CMAKE_SOURCE_DIR}/src/model/config.cpp
  ${CMAKE_SOURCE_DIR}/src/model/florence2_config.cpp
  ${CMAKE_SOURCE_DIR}/src/model/pickle_reader.cpp
  ${CMAKE_SOURCE_DIR}/src/model/safetensors.cpp
  ${CMAKE_SOURCE_DIR}/src/model/torch_checkpoint.cpp
  ${CMAKE_SOURCE_DIR}/src/model/tensor_view.cpp
  ${CMAKE_SOURCE_DIR}/src/model/weight_store.cpp
  ${CMAKE_SOURCE_DIR}/src/model/zip_reader.cpp)
