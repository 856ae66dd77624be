# vkcap_layer(name deps...): a static library from src/<name>/*.cpp, named vkcap_<name>.
# Files are globbed so that adding a file to a layer needs no edit here.
function(vkcap_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT sources)
    set(sources ${CMAKE_SOURCE_DIR}/cmake/empty.cpp)
  endif()
  add_library(vkcap_${name} STATIC ${sources})
  target_include_directories(vkcap_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(vkcap_${name} PUBLIC ${ARGN})
endfunction()
