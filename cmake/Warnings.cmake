# Project-wide warning and sanitizer flags, applied through one interface
# target so third-party code (Wasmtime's headers) is not affected.
add_library(wasibuild_warnings INTERFACE)
target_compile_options(wasibuild_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion $<$<BOOL:${WASIBUILD_WERROR}>:-Werror>)

if(WASIBUILD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Every public header must compile on its own: one generated translation unit
# per header, built into an object library that nothing links.
function(wasibuild_check_headers_standalone target)
  set(sources)
  foreach(header IN LISTS ARGN)
    get_filename_component(name "${header}" NAME_WE)
    set(tu "${CMAKE_CURRENT_BINARY_DIR}/header-check/${name}.cpp")
    file(CONFIGURE OUTPUT "${tu}" CONTENT "#include \"${header}\"\n")
    list(APPEND sources "${tu}")
  endforeach()
  add_library(${target}_header_check OBJECT ${sources})
  target_link_libraries(${target}_header_check PRIVATE ${target} wasibuild_warnings)
endfunction()
