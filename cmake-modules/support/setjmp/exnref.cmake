# Runs after each executable link when setjmp/longjmp are lowered by clang 19
# (WASIBUILD_SETJMP_MODE "lowered", see cmake-modules/WasiSetjmp.cmake):
#
#   cmake -DMODULE=prog.wasm -DWASM_OPT=/path/to/wasm-opt -P exnref.cmake
#
# clang 19 emits only the legacy (phase 3) form of wasm exception handling,
# which Wasmtime does not run. A module that uses it always has a tag section
# (the __c_longjmp tag), so only such a module is rewritten into the standard
# exnref form; every other module is left byte for byte as the linker wrote
# it, and does not pay for starting wasm-opt (about a second for npm's).
cmake_minimum_required(VERSION 3.25)

if(NOT MODULE OR NOT WASM_OPT)
  message(FATAL_ERROR "exnref.cmake: MODULE and WASM_OPT are required")
endif()

# An unsigned LEB128 at `pos` (in hex digits) of `hex`: sets <out> to its
# value and <out>_end to the position after it.
function(_read_leb128 hex pos out)
  set(value 0)
  set(shift 0)
  while(TRUE)
    string(SUBSTRING "${hex}" ${pos} 2 byte)
    if(byte STREQUAL "")
      message(FATAL_ERROR "${MODULE}: truncated WebAssembly section header")
    endif()
    math(EXPR byte "0x${byte}")
    math(EXPR value "${value} | ((${byte} & 0x7f) << ${shift})")
    math(EXPR pos "${pos} + 2")
    math(EXPR shift "${shift} + 7")
    if(byte LESS 128)
      break()
    endif()
  endwhile()
  set(${out} ${value} PARENT_SCOPE)
  set(${out}_end ${pos} PARENT_SCOPE)
endfunction()

# True when the module has a tag section (id 13). Reads only the section
# headers, a few bytes each, not the whole module.
function(_has_tag_section module out)
  set(${out} FALSE PARENT_SCOPE)
  file(SIZE "${module}" size)
  file(READ "${module}" magic LIMIT 4 HEX)
  if(NOT magic STREQUAL "0061736d")
    return()  # not a wasm module: nothing of ours to translate
  endif()
  set(offset 8)
  while(offset LESS size)
    file(READ "${module}" header OFFSET ${offset} LIMIT 6 HEX)
    string(SUBSTRING "${header}" 0 2 id)
    if(id STREQUAL "0d")
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
    _read_leb128("${header}" 2 length)
    math(EXPR offset "${offset} + ${length_end} / 2 + ${length}")
  endwhile()
endfunction()

_has_tag_section("${MODULE}" needs_translation)
if(NOT needs_translation)
  return()
endif()

# --debuginfo keeps DWARF and the name section, so traps still show
# file:line. A failed translation removes the module: left in place, the
# build tool would take it as up to date and Wasmtime would refuse it.
set(translated "${MODULE}.exnref.tmp")
execute_process(COMMAND "${WASM_OPT}" --translate-to-exnref --debuginfo "${MODULE}" -o "${translated}"
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  file(REMOVE "${MODULE}" "${translated}")
  message(FATAL_ERROR "wasibuild: ${WASM_OPT} --translate-to-exnref failed on ${MODULE} (${result}):\n${output}")
endif()
file(RENAME "${translated}" "${MODULE}")
