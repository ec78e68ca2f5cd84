# libwasibuild-support.a: the small pieces wasi-libc lacks and real projects
# link against (today: -fstack-protector's __stack_chk_guard and
# __stack_chk_fail). Compiled from support/*.c with the project's own WASI
# toolchain, once per build tree, at configure time: a prebuilt archive
# would tie the object format to the clang wasibuild was built with.
# try_compile projects receive WASIBUILD_SUPPORT_LIBRARY from the outer
# project (CMAKE_TRY_COMPILE_PLATFORM_VARIABLES) and reuse it.
if(WASIBUILD_SUPPORT_LIBRARY AND EXISTS "${WASIBUILD_SUPPORT_LIBRARY}")
  return()
endif()
if(NOT WASIBUILD_AR)
  message(STATUS "wasibuild: no archiver (WASIBUILD_AR): -fstack-protector support is not built")
  return()
endif()

# Keyed by toolchain, so switching toolchains in one build tree rebuilds it.
string(SHA256 _support_key "${WASIBUILD_CLANG};${WASIBUILD_SYSROOT};${WASIBUILD_TARGET}")
string(SUBSTRING "${_support_key}" 0 12 _support_key)
set(_support_dir "${CMAKE_BINARY_DIR}/CMakeFiles/wasibuild-support-${_support_key}")
set(_support_library "${_support_dir}/libwasibuild-support.a")
file(GLOB _support_sources "${CMAKE_CURRENT_LIST_DIR}/support/*.c")
# Reconfiguring reuses an archive built from the same sources.
set(_support_current TRUE)
foreach(source IN LISTS _support_sources)
  if(NOT EXISTS "${_support_library}" OR "${source}" IS_NEWER_THAN "${_support_library}")
    set(_support_current FALSE)
  endif()
endforeach()
if(_support_current)
  set(WASIBUILD_SUPPORT_LIBRARY "${_support_library}")
  return()
endif()
set(_support_objects)
file(MAKE_DIRECTORY "${_support_dir}")
foreach(source IN LISTS _support_sources)
  get_filename_component(name "${source}" NAME_WE)
  set(object "${_support_dir}/${name}.o")
  execute_process(COMMAND "${WASIBUILD_CLANG}" "--target=${WASIBUILD_TARGET}" "--sysroot=${WASIBUILD_SYSROOT}"
                          -O2 -c "${source}" -o "${object}"
                  RESULT_VARIABLE result ERROR_VARIABLE error)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "wasi.cmake: cannot compile wasibuild's support code ${source}:\n${error}")
  endif()
  list(APPEND _support_objects "${object}")
endforeach()
# Built under a temporary name and renamed, so a configure interrupted
# half-way never leaves a truncated archive that a later run would trust.
file(REMOVE "${_support_library}.tmp")
execute_process(COMMAND "${WASIBUILD_AR}" rcs "${_support_library}.tmp" ${_support_objects}
                RESULT_VARIABLE result ERROR_VARIABLE error)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "wasi.cmake: cannot archive wasibuild's support code:\n${error}")
endif()
file(RENAME "${_support_library}.tmp" "${_support_library}")
set(WASIBUILD_SUPPORT_LIBRARY "${_support_library}")
