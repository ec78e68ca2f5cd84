# Helpers for projects built with wasibuild's toolchain file.
#
#   include(WasiBuild)   # found through CMAKE_MODULE_PATH, which wasi.cmake extends
#
# wasibuild_add_test(NAME name COMMAND target [args...]
#                    [DIRS host[::guest]...] [DIRS_RO host[::guest]...]
#                    [ENV NAME[=VALUE]...] [NET grant...] [TIMEOUT duration]
#                    [WORKING_DIRECTORY dir])
#   Adds a CTest test that runs `target` in the sandboxed runner with the
#   default test grants (see docs/testing.md) plus DIRS (read-write),
#   DIRS_RO (read-only) and ENV. Relative host paths are relative to the
#   test's working directory. NET grants a component (wasm32-wasip2) the
#   network, each item one of tcp-connect=HOST:PORT, tcp-listen=HOST:PORT,
#   udp=HOST:PORT, dns or trace-denials (the --allow-* flags of `wasibuild
#   exec`, docs/security.md#network). Natively (no wasibuild toolchain) it is a plain
#   add_test, so the project still builds and tests on the host.
function(wasibuild_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;TIMEOUT;WORKING_DIRECTORY" "COMMAND;DIRS;DIRS_RO;ENV;NET")
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "wasibuild_add_test: NAME and COMMAND are required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "wasibuild_add_test(${arg_NAME}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  list(POP_FRONT arg_COMMAND program)
  set(working_directory "${CMAKE_CURRENT_BINARY_DIR}")
  if(arg_WORKING_DIRECTORY)
    set(working_directory "${arg_WORKING_DIRECTORY}")
  endif()
  if(NOT WASIBUILD_EXECUTABLE OR NOT CMAKE_SYSTEM_NAME STREQUAL "WASI")
    add_test(NAME ${arg_NAME} COMMAND ${program} ${arg_COMMAND} WORKING_DIRECTORY "${working_directory}")
    return()
  endif()
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()
  set(grants ${WASIBUILD_TEST_GRANTS})  # the defaults, from wasi.cmake
  foreach(dir IN LISTS arg_DIRS)
    list(APPEND grants --dir "${dir}")
  endforeach()
  foreach(dir IN LISTS arg_DIRS_RO)
    list(APPEND grants --dir-ro "${dir}")
  endforeach()
  foreach(variable IN LISTS arg_ENV)
    list(APPEND grants --env "${variable}")
  endforeach()
  foreach(item IN LISTS arg_NET)
    if(item MATCHES "^(tcp-connect|tcp-listen|udp)=(.+)$")
      list(APPEND grants "--allow-${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
    elseif(item STREQUAL "dns")
      list(APPEND grants --allow-dns)
    elseif(item STREQUAL "trace-denials")
      list(APPEND grants --trace-denials)
    else()
      message(FATAL_ERROR "wasibuild_add_test(${arg_NAME}): NET ${item}: expected tcp-connect=HOST:PORT, "
        "tcp-listen=HOST:PORT, udp=HOST:PORT, dns or trace-denials")
    endif()
  endforeach()
  if(arg_TIMEOUT)
    list(APPEND grants --timeout "${arg_TIMEOUT}")
  endif()
  # The full command is given, so CMake does not add the emulator again.
  add_test(NAME ${arg_NAME}
    COMMAND "${WASIBUILD_EXECUTABLE}" exec ${grants} -- "${program}" ${arg_COMMAND}
    WORKING_DIRECTORY "${working_directory}")
endfunction()
