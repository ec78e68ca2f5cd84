#!/usr/bin/env bash
# The compatibility suite: a real open-source CMake project, taken unmodified
# from its Debian source package, configured with wasibuild's drop-in
# toolchain file only (plus the cache options a user would pass), built, and
# its own test suite run under the sandboxed runner.
#
#   compat.sh PROJECT SHARE_DIR WASIBUILD WORK_DIR [INSTALL_PREFIX]
#
# PROJECT is one of the cases in describe_project below; SHARE_DIR is
# wasibuild's share/wasibuild; WORK_DIR receives the sources, the build and
# result.txt. Sources come from `apt-get source --download-only` through a
# private source list (the host's apt configuration is not touched) and are
# cached in $WASIBUILD_COMPAT_CACHE (default ~/.cache/wasibuild-dev/compat-sources),
# so later runs need no network. docs/compatibility.md records the results.
#
# With INSTALL_PREFIX the project is only configured, built and installed
# there: that is how a project's `dependencies` are cross-built, each into
# its own prefix, which the dependent project then names the way a user
# would (`-D<Pkg>_ROOT=`, CMAKE_PREFIX_PATH) for its find_package().
set -euo pipefail

project=$1 share_dir=$2 wasibuild=$3 work_dir=$4 install_prefix=${5:-}
cache=${WASIBUILD_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/compat-sources}

fail() { printf 'compat %s: %s\n' "$project" "$*" >&2; exit 1; }
step() { printf '\n== compat %s: %s\n' "$project" "$*"; }

# Per project: the Debian source package, its upstream version, the source
# subdirectory holding the top CMakeLists.txt, cache options, how the tests
# run (ctest, or a custom target for projects without CTest), the tests that
# cannot run under any emulator (with the reason, in docs/compatibility.md),
# and the least number of tests that must pass. `dependencies` are other
# cases here, cross-built and installed into $work_dir/NAME/prefix first.
describe_project() {
  dependencies=() cmake_args=() exclude="" test_targets=() test_env=() min_tests=1 subdir=. after_configure=: unbuildable=() launched_tests=() build_only="" needs_exceptions=""
  install_components=()
  case $project in
    libyaml)
      package=libyaml version=0.2.5 min_tests=2 ;;
    libxml2)
      # No iconv, compression, sockets or dlopen on WASI preview1. Threads
      # on: with them off, libxml2 2.9 still takes its pthread code path
      # wherever <pthread.h> exists (any newer wasi-libc, as in setup.sh's
      # debian-llvm23) and fails to compile (threads.c: xmlOnceInit);
      # on, it builds against single-threaded pthreads. testThreads and
      # runtest's "Catalog and Threads" group create threads, which fail
      # (pthread_create) until threads exist; runtest's other 8 groups pass.
      package=libxml2 version=2.9.14+dfsg min_tests=4 exclude='^(runtest|testThreads)$'
      cmake_args=(-DLIBXML2_WITH_ICONV=OFF -DLIBXML2_WITH_THREADS=ON -DLIBXML2_WITH_PYTHON=OFF
                  -DLIBXML2_WITH_LZMA=OFF -DLIBXML2_WITH_ZLIB=OFF -DLIBXML2_WITH_FTP=OFF
                  -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_MODULES=OFF) ;;
    cmark)
      # The *_library tests load libcmark.so into the host's Python (ctypes).
      package=cmark version=0.30.2 min_tests=5 exclude='_library$' ;;
    yajl)
      # No CTest: its `test` target is a shell script running the built
      # yajl_test (through the host launcher) over 58 JSON cases.
      package=yajl version=2.1.0 test_targets=(test) ;;
    utf8proc)
      # Its CMakeLists downloads two Unicode 15.0 data files from
      # unicode.org at configure time; CI has no internet (the download
      # leaves empty files), so Debian's unicode-data 15.0 provides them.
      package=utf8proc version=2.8.0 min_tests=9 cmake_args=(-DUTF8PROC_ENABLE_TESTING=ON)
      after_configure=provide_unicode_data ;;
    json-c)
      # Clang 19 rejects `f()` declarations under the project's -Werror;
      # test_util_file needs dup2() (the runner's descriptor table) and
      # /dev/null (the support library's devices); the json_parse app
      # prints ru_maxrss (the gap layer's struct rusage has Linux's fields).
      # Its test scripts run the program under valgrind unless told not
      # to; test_strerror's script hands the program a variable, which
      # reaches the guest as one its script set (--env-changed-since).
      package=json-c version=0.16 min_tests=23 cmake_args=(-DDISABLE_WERROR=ON)
      test_env=(USE_VALGRIND=0) ;;
    expat)
      # Its CTest tests run `bash run.sh <path of the .wasm>`, and run.sh
      # execs that path as a host program (emulators are not consulted, only
      # wine for MinGW); the kernel cannot run a .wasm. The same two test
      # programs run here through their host launchers instead.
      package=expat version=2.5.0 subdir=expat min_tests=2 launched_tests=(tests/runtests tests/runtestspp)
      cmake_args=(-DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_EXAMPLES=OFF) ;;
    cjson)
      # Its Unity test framework uses setjmp/longjmp.
      package=cjson version=1.7.15 min_tests=19 ;;
    jansson)
      # test_dump dumps to a descriptor from pipe() (the runner's pipes).
      package=jansson version=2.14 cmake_args=(-DJANSSON_BUILD_DOCS=OFF -DJANSSON_EXAMPLES=OFF) min_tests=213 ;;
    tinyxml2)
      # xmltest runs in the source tree and writes resources/out/ there.
      package=tinyxml2 version=9.0.0+dfsg cmake_args=(-Dtinyxml2_BUILD_TESTING=ON) ;;
    pugixml)
      # Its tests read files with std::ifstream (cmake-modules/support/cxx
      # brings <fstream> to Debian's libc++). Exceptions off, so it passes
      # with the system toolchain too; with debian-llvm23 (setup.sh's
      # default) it also passes with them on, pugixml's default.
      package=pugixml version=1.13 min_tests=1 cmake_args=(-DPUGIXML_BUILD_TESTS=ON -DPUGIXML_NO_EXCEPTIONS=ON) ;;
    double-conversion)
      # Every test is add_test(NAME … COMMAND $<TARGET_FILE:cctest> …).
      package=double-conversion version=3.2.1 min_tests=9 cmake_args=(-DBUILD_TESTING=ON) ;;
    cmocka)
      # Not passing yet: unless _UINTPTR_T or _UINTPTR_T_DEFINED is set,
      # cmocka.h typedefs uintptr_t itself, guessing from __WORDSIZE (which
      # it defines as 32 when absent): unsigned int, while wasm32's is
      # unsigned long. Its tests include cmocka.h before <stdint.h>.
      package=cmocka version=1.1.5 cmake_args=(-DUNIT_TESTING=ON -DWITH_EXAMPLES=OFF) ;;
    libzstd)
      # Builds with __unix__ (its platform.h takes the POSIX branch only
      # then), chown(), setpriority() and (for Debian 12's wasi-libc)
      # chmod() from the gap layer. fullbench runs once per case. Not run: fuzzer and
      # zstreamtest set ZSTD_c_nbWorkers, which a build without
      # multithreading refuses natively too (threads: issue 15);
      # playTests.sh executes $ZSTD_BIN, the zstd.wasm itself.
      package=libzstd version=1.5.4+dfsg2 subdir=build/cmake min_tests=1 exclude='^(playTests|fuzzer|zstreamtest)$'
      cmake_args=(-DZSTD_BUILD_TESTS=ON -DZSTD_MULTITHREAD_SUPPORT=OFF -DZSTD_FUZZER_FLAGS=-T30s
                  -DZSTD_ZSTREAM_FLAGS=-T30s -DZSTD_FULLBENCH_FLAGS=-i1) ;;
    libzstd-threads)
      # libzstd again, for wasm32-wasip1-threads (-DWASIBUILD_THREADS=ON)
      # with its multithreading on: fuzzer and zstreamtest set
      # ZSTD_c_nbWorkers, and compress through zstd's worker pool (real
      # pthreads). playTests.sh executes $ZSTD_BIN, the zstd.wasm itself.
      package=libzstd version=1.5.4+dfsg2 subdir=build/cmake min_tests=3 exclude='^playTests$'
      cmake_args=(-DWASIBUILD_THREADS=ON -DZSTD_BUILD_TESTS=ON -DZSTD_MULTITHREAD_SUPPORT=ON
                  -DZSTD_FUZZER_FLAGS=-T30s -DZSTD_ZSTREAM_FLAGS=-T30s -DZSTD_FULLBENCH_FLAGS=-i1) ;;
    xz-utils)
      # find_package(Threads REQUIRED), with no option to build without
      # threads, gets wasibuild's single-threaded pthreads; its pthread code
      # blocks signals, which the POSIX gap layer's signal masks allow
      # (docs/posix.md). Its symlink targets are named like the files they
      # create (`unxz`), which Ninja rejects on any platform, so they are
      # off. The `xz` program itself needs what WASI preview1 lacks
      # (pipe, alarm, geteuid); liblzma and its 10 tests do not.
      package=xz-utils version=5.4.1 min_tests=10
      cmake_args=(-DCREATE_XZ_SYMLINKS=OFF -DCREATE_LZMA_SYMLINKS=OFF)
      # As a dependency it installs liblzma's components only, as a user
      # cross-building the library would.
      unbuildable=(src/xz/file_io.c src/xz/message.c)
      install_components=(liblzma_Runtime liblzma_Development) ;;
    libxml2-lzma)
      # libxml2 again, now with its liblzma support: find_package(LibLZMA)
      # finds xz-utils' liblzma, cross-built into its own prefix; xmlIO.c's
      # LZMA reader calls dup() (the runner's descriptor table).
      package=libxml2 version=2.9.14+dfsg min_tests=4 exclude='^(runtest|testThreads)$' dependencies=(xz-utils)
      cmake_args=(-DLIBXML2_WITH_ICONV=OFF -DLIBXML2_WITH_THREADS=ON -DLIBXML2_WITH_PYTHON=OFF
                  -DLIBXML2_WITH_LZMA=ON "-DLibLZMA_ROOT=$work_dir/xz-utils/prefix" -DLIBXML2_WITH_ZLIB=OFF
                  -DLIBXML2_WITH_FTP=OFF -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_MODULES=OFF) ;;
    lzo2)
      # Its lzotest cases read COPYING and lzodefs.h from the source tree.
      package=lzo2 version=2.10 min_tests=5 ;;
    libogg)
      # Both tests are add_test(COMMAND $<TARGET_FILE:t>).
      package=libogg version=1.3.5 min_tests=2 ;;
    libvorbis)
      # The cross-built dependency case without threads: find_package(Ogg
      # REQUIRED) (its own FindOgg.cmake: find_path/find_library with
      # OGG_ROOT as a hint) finds libogg, cross-built and installed into
      # its own prefix. Ogg_ROOT would be ignored: the project requires
      # CMake 2.8.12, so CMP0074 is unset, natively too. Its CMake build
      # has no tests (they are automake-only): it is only built.
      package=libvorbis version=1.3.7 dependencies=(libogg) build_only=1
      cmake_args=("-DOGG_ROOT=$work_dir/libogg/prefix") ;;
    libjsoncpp)
      # C++ exceptions on (its default, JSON_USE_EXCEPTION): needs a
      # toolchain with them (debian-llvm23, setup.sh's default; skipped
      # otherwise). Its reader/writer tests run jsontestrunner from Python,
      # which starts the host launcher.
      package=libjsoncpp version=1.9.5 min_tests=3 needs_exceptions=1 ;;
    catch2)
      # C++ exceptions (needs debian-llvm23, setup.sh's default; skipped
      # otherwise), std::mutex and std::thread's headers, sigaction() for
      # its crash handler, libc++ 23's transitive includes (std::nothrow),
      # exit statuses above 125 (--list-test-names-only exits with the
      # number of tests) and argv[0] without .wasm (its approval tests
      # compare reports that name the executable). Its Python scripts run
      # SelfTest.wasm directly (the host launcher).
      package=catch2 version=2.13.10 min_tests=24 needs_exceptions=1 ;;
    gflags)
      # 51 CTest tests, most through its cmake -P script
      # (cmake/execute_test.cmake), which sets FLAGS_* variables in the
      # environment before it runs the program: they reach the guest as
      # ones the test's script set (--env-changed-since, docs/testing.md).
      package=gflags version=2.2.2 min_tests=51 cmake_args=(-DBUILD_TESTING=ON) ;;
    googletest)
      # Its stream capture needs dup()/dup2() (the runner's descriptor
      # table), gtest_main's main lives in a static library, and it records
      # the working directory from a static initializer. Not run, each for
      # what googletest itself decides on a platform without death tests
      # (fork) or sockets, or for a Linux-only expectation of its Python
      # scripts: the original working directory is recorded only with
      # death tests (options-test, gtest_unittest, gtest_no_rtti_unittest:
      # CanGetOriginalWorkingDir); --gtest_stream_result_to needs sockets
      # (help); break-on-failure expects a SIGSEGV; catch-exceptions,
      # color (a terminal), filter (sharding status file and death tests),
      # output, xml and json output compare against golden files with
      # death-test sections.
      package=googletest version=1.12.1 min_tests=34
      cmake_args=(-Dgtest_build_tests=ON -Dgtest_disable_pthreads=ON)
      exclude='^(googletest-options-test|gtest_unittest|gtest_no_rtti_unittest|googletest-break-on-failure-unittest|googletest-catch-exceptions-test|googletest-color-test|googletest-filter-unittest|gtest_help_test|googletest-output-test|gtest_xml_output_unittest|googletest-json-output-unittest)$' ;;
    libjpeg-turbo)
      # The TurboJPEG API recovers from libjpeg's errors with setjmp() and
      # longjmp() (WasiSetjmp.cmake); 155 tests compress and decompress
      # the source tree's test images and compare MD5 sums through cmake -P
      # scripts, writing their output in the build tree. SIMD off: its
      # assembly is x86 and Arm only, natively too.
      package=libjpeg-turbo version=2.1.5 min_tests=155 cmake_args=(-DENABLE_SHARED=OFF -DWITH_TURBOJPEG=ON) ;;
    *) fail "unknown project (see describe_project in $0)" ;;
  esac
}

apt_options() {
  printf '%s\n' -o "Dir::Etc::SourceList=$cache/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache" -o Debug::NoLocking=1 \
    -o APT::Sandbox::User=root
}

# The upstream tarball, downloaded (and checked by apt against Debian's
# signed index) once; concurrent runs wait on one lock.
fetch_source() {
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/archives"
  exec 9>"$cache/.lock"
  flock 9
  tarball=$(find "$cache/archives" -maxdepth 1 -name "${package}_${version}.orig.tar.*" ! -name '*.asc' | head -n 1)
  if [ -z "$tarball" ]; then
    step "fetching Debian source package $package"
    echo "deb-src http://deb.debian.org/debian bookworm main" >"$cache/apt/sources.list"
    mapfile -t options < <(apt_options)
    apt-get "${options[@]}" -qq update || fail "cannot reach deb.debian.org to fetch the $package source package"
    (cd "$cache/archives" && apt-get "${options[@]}" -qq source --download-only "$package") ||
      fail "apt-get source $package failed"
    tarball=$(find "$cache/archives" -maxdepth 1 -name "${package}_${version}.orig.tar.*" ! -name '*.asc' | head -n 1)
    [ -n "$tarball" ] || fail "Debian's $package is not upstream version $version any more; update tests/compat/compat.sh"
  fi
  flock -u 9
}

provide_unicode_data() {
  [ -f /usr/share/unicode/NormalizationTest.txt.bz2 ] || fail "needs Debian's unicode-data (scripts/setup.sh installs it)"
  mkdir -p "$build/data"
  bunzip2 -c /usr/share/unicode/NormalizationTest.txt.bz2 >"$build/data/NormalizationTest.txt"
  cp /usr/share/unicode/auxiliary/GraphemeBreakTest.txt "$build/data/"
}

describe_project
# A project that needs exceptions is skipped (CTest's SKIP_REGULAR_EXPRESSION),
# not failed, where the toolchain that resolves has none.
if [ -n "$needs_exceptions" ] && ! "$wasibuild" toolchain which --cmake 2>/dev/null | grep -q "^set(WASIBUILD_HAS_EXCEPTIONS ON)"; then
  echo "SKIPPED: $project needs C++ exceptions and the toolchain has none (docs/toolchains.md)"
  exit 0
fi
fetch_source

for dependency in "${dependencies[@]}"; do
  step "cross-building the dependency $dependency into its own prefix"
  bash "$0" "$dependency" "$share_dir" "$wasibuild" "$work_dir/$dependency" "$work_dir/$dependency/prefix" ||
    fail "the dependency $dependency failed (log: $work_dir/$dependency)"
done

source_root="$work_dir/src"
build="$work_dir/build"
rm -rf "$source_root" "$build"
mkdir -p "$source_root" "$build"
tar -xf "$tarball" -C "$source_root" --strip-components=1

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
step "configuring with the drop-in toolchain file"
cmake -G Ninja -S "$source_root/$subdir" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$share_dir/cmake/wasi.cmake" \
  -DWASIBUILD_EXECUTABLE="$wasibuild" -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "${launcher[@]}" "${cmake_args[@]}" >"$work_dir/configure.log" 2>&1 ||
  { tail -n 30 "$work_dir/configure.log"; fail "configure failed (log: $work_dir/configure.log)"; }
"$after_configure"

# A project with sources WASI cannot compile (`unbuildable`) is built with
# `-k 0`; the build passes when every error is in one of those sources.
real_build_failure() {
  [ ${#unbuildable[@]} -gt 0 ] || return 0
  local patterns=(-e 'ninja: build stopped') source
  for source in "${unbuildable[@]}"; do patterns+=(-e "$source"); done
  grep -E 'error:' "$work_dir/build.log" | grep -v -F "${patterns[@]}" -q
}
step "building"
cmake --build "$build" -j2 -- -k 0 >"$work_dir/build.log" 2>&1 || ! real_build_failure ||
  { grep -m 20 -E 'error|Error' "$work_dir/build.log" || tail -n 30 "$work_dir/build.log"; fail "build failed (log: $work_dir/build.log)"; }

if [ -n "$install_prefix" ]; then
  components=("${install_components[@]/#/--component=}")
  [ ${#components[@]} -gt 0 ] || components=("")
  for component in "${components[@]}"; do
    cmake --install "$build" --prefix "$install_prefix" ${component:+"$component"} >>"$work_dir/install.log" 2>&1 ||
      { tail -n 30 "$work_dir/install.log"; fail "install failed (log: $work_dir/install.log)"; }
  done
  echo "$project $version: installed into $install_prefix" | tee "$work_dir/result.txt"
  exit 0
fi

if [ -n "$build_only" ]; then
  echo "$project $version: configured and built (it has no CTest tests)" | tee "$work_dir/result.txt"
  exit 0
fi

step "running the project's tests under wasibuild"
if [ ${#launched_tests[@]} -gt 0 ]; then
  passed=0
  for program in "${launched_tests[@]}"; do
    (cd "$build" && "./$program") 2>&1 | tee -a "$work_dir/test.log" || fail "$program failed (log: $work_dir/test.log)"
    passed=$((passed + 1))
  done
elif [ ${#test_targets[@]} -gt 0 ]; then
  env "${test_env[@]}" cmake --build "$build" --target "${test_targets[@]}" 2>&1 | tee "$work_dir/test.log" ||
    fail "tests failed (log: $work_dir/test.log)"
  passed=$(sed -n 's#^\([0-9]*\)/\([0-9]*\) tests successful#\1 \2#p' "$work_dir/test.log" | awk '{p+=$1; t+=$2} END {print p+0, t+0}')
  read -r passed total <<<"$passed"
  [ "$passed" -eq "$total" ] || fail "$passed of $total tests passed"
else
  ctest_args=(--test-dir "$build" --output-on-failure --timeout 600)
  [ -n "$exclude" ] && ctest_args+=(-E "$exclude")
  env "${test_env[@]}" ctest "${ctest_args[@]}" 2>&1 | tee "$work_dir/test.log" || fail "tests failed (log: $work_dir/test.log)"
  total=$(sed -n 's/.*tests passed, [0-9]* tests failed out of \([0-9]*\)/\1/p' "$work_dir/test.log")
  passed=${total:-0}
fi
[ "$passed" -ge "$min_tests" ] || fail "only $passed tests ran; expected at least $min_tests"
echo "$project $version: $passed tests passed${exclude:+ (excluded: $exclude)}" | tee "$work_dir/result.txt"
