// The POSIX gap layer (cmake-modules/support, docs/posix.md), end to end
// with real CMake: a C and a C++ program that use every function it adds,
// built through the toolchain file and run by CTest in the runner with the
// test grants (a private /tmp); configure checks that find what exists and
// nothing that does not; a program with its own mkstemp; and the same
// project with clang 22 and a newer wasi-libc, which already has some of
// these functions (getpagesize), so the layer must not clash with it.
#include <filesystem>
#include <iostream>

#include "../support/cmake_project.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kClang22 = WASIBUILD_TEST_CLANG22_TOOLCHAIN;

bool have_clang22() { return have_toolchain_dir(kClang22, "clang 22 WASI toolchain"); }

using Project = CMakeProject;

// Every function of the layer, each result checked by the program itself.
constexpr const char* kProgram = R"(#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define EXPECT(what) do { if (!(what)) { printf("FAILED line %d: %s (errno %d)\n", __LINE__, #what, errno); ++failures; } } while (0)

static int round_trip(int fd) {
  char buffer[6] = {0};
  return write(fd, "hello", 5) == 5 && lseek(fd, 0, SEEK_SET) == 0 && read(fd, buffer, 5) == 5 &&
         strcmp(buffer, "hello") == 0;
}

int main(void) {
  char stemp[] = "/tmp/stemp-XXXXXX";
  int fd = mkstemp(stemp);
  EXPECT(fd >= 0 && strncmp(stemp, "/tmp/stemp-", 11) == 0 && strstr(stemp, "XXXXXX") == NULL);
  EXPECT(round_trip(fd));
  close(fd);
  char again[] = "/tmp/stemp-XXXXXX";
  fd = mkstemp(again);
  EXPECT(fd >= 0 && strcmp(again, stemp) != 0);
  close(fd);

  char ostemp[] = "/tmp/ostemp-XXXXXX";
  fd = mkostemp(ostemp, O_APPEND);
  EXPECT(fd >= 0 && round_trip(fd));
  close(fd);

  char suffixed[] = "/tmp/suffixed-XXXXXX.txt";
  fd = mkstemps(suffixed, 4);
  EXPECT(fd >= 0 && strcmp(suffixed + strlen(suffixed) - 4, ".txt") == 0 && strstr(suffixed, "XXXXXX") == NULL);
  close(fd);
  char osuffixed[] = "/tmp/osuffixed-XXXXXX.c";
  fd = mkostemps(osuffixed, 2, 0);
  EXPECT(fd >= 0 && strcmp(osuffixed + strlen(osuffixed) - 2, ".c") == 0);
  close(fd);

  char bad[] = "/tmp/bad-XXXXX";
  errno = 0;
  EXPECT(mkstemp(bad) == -1 && errno == EINVAL);

  char dtemp[] = "/tmp/dtemp-XXXXXX";
  EXPECT(mkdtemp(dtemp) == dtemp);
  struct stat st;
  EXPECT(stat(dtemp, &st) == 0 && S_ISDIR(st.st_mode));
  char inside[64];
  snprintf(inside, sizeof inside, "%s/file", dtemp);
  FILE* in_dir = fopen(inside, "w");
  EXPECT(in_dir != NULL && fputs("x", in_dir) >= 0 && fclose(in_dir) == 0);

  char old_style[] = "/tmp/mktemp-XXXXXX";
  EXPECT(mktemp(old_style) == old_style && strstr(old_style, "XXXXXX") == NULL && access(old_style, F_OK) != 0);

  FILE* anonymous = tmpfile();
  EXPECT(anonymous != NULL);
  char line[16] = {0};
  EXPECT(fputs("tmpfile", anonymous) >= 0 && fseek(anonymous, 0, SEEK_SET) == 0 &&
         fgets(line, sizeof line, anonymous) != NULL && strcmp(line, "tmpfile") == 0);
  fclose(anonymous);

  char name[L_tmpnam];
  EXPECT(tmpnam(name) == name && strncmp(name, "/tmp/", 5) == 0 && access(name, F_OK) != 0);
  const char* shared = tmpnam(NULL);
  EXPECT(shared != NULL && strcmp(shared, name) != 0);
  FILE* named = fopen(name, "w");
  EXPECT(named != NULL && fclose(named) == 0 && remove(name) == 0);
  char reentrant[L_tmpnam];
  EXPECT(tmpnam_r(reentrant) == reentrant);
  char* chosen = tempnam(NULL, "pre");
  EXPECT(chosen != NULL);
  printf("tempnam %.*s\n", chosen ? (int)(strrchr(chosen, '/') - chosen) : 0, chosen ? chosen : "");
  free(chosen);

  tzset();
  EXPECT(strcmp(tzname[0], "UTC") == 0 && strcmp(tzname[1], "UTC") == 0 && timezone == 0 && daylight == 0);
  EXPECT(getpagesize() == 65536);
  puts(failures == 0 ? "posix gap: all passed" : "posix gap: failures");
  return failures != 0;
}
)";

// libc++'s <cstdio>/<cstdlib>/<ctime> over the layer's headers.
constexpr const char* kCxxProgram = R"(#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>
int main() {
  std::string name = "/tmp/cxx-XXXXXX";
  const int fd = mkstemp(name.data());
  std::FILE* file = std::tmpfile();
  tzset();
  const bool ok = fd >= 0 && file != nullptr && std::string(tzname[0]) == "UTC";
  std::puts(ok ? "c++: passed" : "c++: failed");
  return ok ? 0 : 1;
}
)";

// A program with its own mkstemp (as projects that bundle replacements do):
// it links, and its own definition wins over the layer's weak one.
constexpr const char* kOwnMkstemp = R"(#include <stdio.h>
#include <stdlib.h>
int mkstemp(char* template_) { (void)template_; return 42; }
int main(void) {
  char name[] = "/tmp/own-XXXXXX";
  printf("own mkstemp %d\n", mkstemp(name));
  return 0;
}
)";

// The configure checks real projects run: the functions the layer adds are
// found and declared (dup2 and pipe through wasibuild's runner); what WASI
// cannot do (fork) is neither.
constexpr const char* kCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(gap C CXX)
include(CheckFunctionExists)
include(CheckSymbolExists)
foreach(function IN ITEMS mkstemp mkdtemp tmpfile tzset dup2 fork pipe)
  string(TOUPPER "${function}" upper)
  check_function_exists(${function} HAVE_${upper})
  if(NOT HAVE_${upper})
    set(HAVE_${upper} 0)
  endif()
  string(APPEND found " ${function}=${HAVE_${upper}}")
endforeach()
set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE)
check_symbol_exists(mkstemp stdlib.h DECLARES_MKSTEMP)
check_symbol_exists(tmpfile stdio.h DECLARES_TMPFILE)
check_symbol_exists(tzset time.h DECLARES_TZSET)
check_symbol_exists(dup2 unistd.h DECLARES_DUP2)
message(STATUS "functions${found}")
message(STATUS "declared mkstemp=${DECLARES_MKSTEMP} tmpfile=${DECLARES_TMPFILE} tzset=${DECLARES_TZSET} dup2=${DECLARES_DUP2}")
enable_testing()
add_executable(gap gap.c)
target_compile_options(gap PRIVATE -Wall -Wextra -Werror)
add_executable(gapxx gap.cpp)
target_compile_options(gapxx PRIVATE -Wall -Wextra -Werror)
add_executable(own own.c)
add_test(NAME gap COMMAND gap)
set_tests_properties(gap PROPERTIES PASS_REGULAR_EXPRESSION "tempnam /tmp\nposix gap: all passed")
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/scratch")
add_test(NAME gap_tmpdir COMMAND gap WORKING_DIRECTORY "${CMAKE_BINARY_DIR}/scratch")
set_tests_properties(gap_tmpdir PROPERTIES ENVIRONMENT TMPDIR=.
  PASS_REGULAR_EXPRESSION "tempnam \\.\nposix gap: all passed")
add_test(NAME gapxx COMMAND gapxx)
set_tests_properties(gapxx PROPERTIES PASS_REGULAR_EXPRESSION "c\\+\\+: passed")
add_test(NAME own COMMAND own)
set_tests_properties(own PROPERTIES PASS_REGULAR_EXPRESSION "own mkstemp 42")
)";

void write_project(const Project& project) {
  write_file(project.source / "CMakeLists.txt", kCMakeLists);
  write_file(project.source / "gap.c", kProgram);
  write_file(project.source / "gap.cpp", kCxxProgram);
  write_file(project.source / "own.c", kOwnMkstemp);
}

void configure_build_and_test(const Project& project, const std::vector<std::string>& definitions) {
  const auto configured = configure_build_and_ctest(project, definitions, 4);
  CHECK(configured.out.find("-- functions mkstemp=1 mkdtemp=1 tmpfile=1 tzset=1 dup2=1 fork=0 pipe=1\n") !=
        std::string::npos);
  CHECK(configured.out.find("-- declared mkstemp=1 tmpfile=1 tzset=1 dup2=1\n") != std::string::npos);
}

}  // namespace

TEST_CASE("the POSIX gap layer with Debian's clang 19: temp files and time zones work and probes tell the truth") {
  Project project;
  write_project(project);
  configure_build_and_test(project, {});
  // Outside CTest, with `wasibuild exec` and a granted /tmp of our own.
  TempDir tmp;
  const auto ran = project.wasibuild.exec({"--dir", tmp.path().string() + "::/tmp", (project.build / "gap.wasm").string()});
  CHECK(ran.err == "");
  CHECK(ran.out == "tempnam /tmp\nposix gap: all passed\n");
  CHECK(ran.exit_status == 0);
  CHECK_FALSE(fs::is_empty(tmp.path()));  // mkstemp's files and mkdtemp's directory, on the host
}

TEST_CASE("the POSIX gap layer with clang 22 and a newer wasi-libc: no duplicate symbols, same answers") {
  if (!have_clang22()) return;
  Project project;
  write_project(project);
  configure_build_and_test(project, toolchain_dir_definitions(kClang22));
}

// Single-threaded pthreads (cmake-modules/support/pthread, docs/posix.md):
// find_package(Threads REQUIRED) finds them in libc, and a program that
// uses mutexes, once, keys, condition variables and rwlocks runs; a thread
// cannot be created, and says so with EAGAIN.
namespace {

constexpr const char* kThreadsCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(threads C CXX)
find_package(Threads REQUIRED)
message(STATUS "threads: found=${Threads_FOUND} pthreads=${CMAKE_USE_PTHREADS_INIT} libc=${CMAKE_HAVE_LIBC_PTHREAD}")
enable_testing()
add_executable(single single.c)
target_compile_options(single PRIVATE -Wall -Wextra -Werror)
target_link_libraries(single PRIVATE Threads::Threads)
add_executable(singlexx single.cpp)
target_compile_options(singlexx PRIVATE -Wall -Wextra -Werror)
target_link_libraries(singlexx PRIVATE Threads::Threads)
add_test(NAME single COMMAND single)
set_tests_properties(single PROPERTIES PASS_REGULAR_EXPRESSION "pthreads: all passed")
add_test(NAME singlexx COMMAND singlexx)
set_tests_properties(singlexx PROPERTIES PASS_REGULAR_EXPRESSION "c\\+\\+ with pthread.h: 1")
)";

constexpr const char* kThreadsProgram = R"(#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

static int failures;
#define EXPECT(what) do { if (!(what)) { printf("FAILED line %d: %s\n", __LINE__, #what); ++failures; } } while (0)

static int once_calls;
static void once_routine(void) { ++once_calls; }
static void *thread_main(void *arg) { return arg; }

static pthread_mutex_t make_mutex(int type) {
  pthread_mutexattr_t attr;
  pthread_mutex_t mutex;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, type);
  pthread_mutex_init(&mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  return mutex;
}

int main(void) {
  pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
  EXPECT(pthread_mutex_lock(&normal) == 0);
  EXPECT(pthread_mutex_trylock(&normal) == EBUSY);
  EXPECT(pthread_mutex_lock(&normal) == EDEADLK);
  EXPECT(pthread_mutex_unlock(&normal) == 0);
  EXPECT(pthread_mutex_trylock(&normal) == 0);
  EXPECT(pthread_mutex_unlock(&normal) == 0);

  pthread_mutex_t recursive = make_mutex(PTHREAD_MUTEX_RECURSIVE);
  EXPECT(pthread_mutex_lock(&recursive) == 0);
  EXPECT(pthread_mutex_lock(&recursive) == 0);
  EXPECT(pthread_mutex_trylock(&recursive) == 0);
  EXPECT(pthread_mutex_unlock(&recursive) == 0);
  EXPECT(pthread_mutex_unlock(&recursive) == 0);
  EXPECT(pthread_mutex_unlock(&recursive) == 0);
  EXPECT(pthread_mutex_unlock(&recursive) == EPERM);

  pthread_mutex_t checked = make_mutex(PTHREAD_MUTEX_ERRORCHECK);
  EXPECT(pthread_mutex_unlock(&checked) == EPERM);
  EXPECT(pthread_mutex_lock(&checked) == 0);
  EXPECT(pthread_mutex_lock(&checked) == EDEADLK);
  EXPECT(pthread_mutex_trylock(&checked) == EBUSY);
  EXPECT(pthread_mutex_unlock(&checked) == 0);
  EXPECT(pthread_mutex_destroy(&checked) == 0);

  pthread_once_t once = PTHREAD_ONCE_INIT;
  EXPECT(pthread_once(&once, once_routine) == 0);
  EXPECT(pthread_once(&once, once_routine) == 0);
  EXPECT(once_calls == 1);

  pthread_key_t key;
  int value = 42;
  EXPECT(pthread_key_create(&key, NULL) == 0);
  EXPECT(pthread_getspecific(key) == NULL);
  EXPECT(pthread_setspecific(key, &value) == 0);
  EXPECT(pthread_getspecific(key) == &value);
  EXPECT(pthread_key_delete(key) == 0);
  EXPECT(pthread_setspecific(key, &value) == EINVAL);

  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  EXPECT(pthread_cond_signal(&cond) == 0);
  EXPECT(pthread_cond_broadcast(&cond) == 0);
  EXPECT(pthread_cond_wait(&cond, &checked) == EPERM);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  EXPECT(pthread_mutex_lock(&normal) == 0);
  EXPECT(pthread_cond_timedwait(&cond, &normal, &deadline) == ETIMEDOUT);
  EXPECT(pthread_mutex_unlock(&normal) == 0);
  EXPECT(pthread_cond_destroy(&cond) == 0);

  pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
  EXPECT(pthread_rwlock_rdlock(&rwlock) == 0);
  EXPECT(pthread_rwlock_rdlock(&rwlock) == 0);
  EXPECT(pthread_rwlock_trywrlock(&rwlock) == EBUSY);
  EXPECT(pthread_rwlock_unlock(&rwlock) == 0);
  EXPECT(pthread_rwlock_unlock(&rwlock) == 0);
  EXPECT(pthread_rwlock_wrlock(&rwlock) == 0);
  EXPECT(pthread_rwlock_tryrdlock(&rwlock) == EBUSY);
  EXPECT(pthread_rwlock_unlock(&rwlock) == 0);

  pthread_attr_t attr;
  size_t stack_size = 0;
  EXPECT(pthread_attr_init(&attr) == 0);
  EXPECT(pthread_attr_setstacksize(&attr, 1 << 20) == 0);
  EXPECT(pthread_attr_getstacksize(&attr, &stack_size) == 0 && stack_size == 1 << 20);
  EXPECT(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0);

  pthread_t thread = pthread_self();
  EXPECT(pthread_create(&thread, &attr, thread_main, NULL) == EAGAIN);
  EXPECT(pthread_equal(thread, pthread_self()));
  EXPECT(pthread_join(pthread_self(), NULL) == EDEADLK);
  EXPECT(sched_yield() == 0);
  EXPECT(pthread_attr_destroy(&attr) == 0);

  printf(failures ? "pthreads: %d failed\n" : "pthreads: all passed\n", failures);
  return failures != 0;
}
)";

// libc++ without threads still compiles next to <pthread.h>.
constexpr const char* kThreadsCxxProgram = R"(#include <pthread.h>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static std::atomic<int> counter{0};

int main() {
  pthread_mutex_lock(&mutex);
  ++counter;
  pthread_mutex_unlock(&mutex);
  std::printf("c++ with pthread.h: %d\n", counter.load() * pthread_equal(pthread_self(), pthread_self()));
  return 0;
}
)";

// What wasi-libc's own layer (Debian trixie's, 2024-12) answers as
// POSIX says; its recursive and error-checking mutex types are swapped and
// pthread_key_delete hangs, so those stay out.
constexpr const char* kUpstreamThreadsProgram = R"(#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static int once_calls;
static void once_routine(void) { ++once_calls; }
static void *thread_main(void *arg) { return arg; }

int main(void) {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_key_t key;
  pthread_t thread;
  int value = 1;
  int ok = pthread_mutex_lock(&mutex) == 0 && pthread_mutex_unlock(&mutex) == 0 &&
           pthread_once(&once, once_routine) == 0 && pthread_once(&once, once_routine) == 0 && once_calls == 1 &&
           pthread_key_create(&key, NULL) == 0 && pthread_setspecific(key, &value) == 0 &&
           pthread_getspecific(key) == &value && pthread_create(&thread, NULL, thread_main, NULL) == EAGAIN;
  printf(ok ? "pthreads: all passed\n" : "pthreads: failed\n");
  return !ok;
}
)";

void write_threads_project(const Project& project, const char* program = kThreadsProgram) {
  write_file(project.source / "CMakeLists.txt", kThreadsCMakeLists);
  write_file(project.source / "single.c", program);
  write_file(project.source / "single.cpp", kThreadsCxxProgram);
}

ProcessResult configure_build_and_test_threads(const Project& project, const std::vector<std::string>& definitions) {
  return configure_build_and_ctest(project, definitions, 2);
}

}  // namespace

TEST_CASE("find_package(Threads REQUIRED) with Debian's clang 19 finds single-threaded pthreads in libc") {
  Project project;
  write_threads_project(project);
  const auto configured = configure_build_and_test_threads(project, {});
  CHECK(configured.out.find("-- threads: found=TRUE pthreads=1 libc=\n") != std::string::npos);
  CHECK(configured.out.find("-- wasibuild: find_package(Threads REQUIRED): single-threaded pthreads") != std::string::npos);
  const auto ran = project.wasibuild.exec({(project.build / "single.wasm").string()});
  CHECK(ran.err == "");
  CHECK(ran.out == "pthreads: all passed\n");
  CHECK(ran.exit_status == 0);
}

TEST_CASE("a wait no other thread could end stops with a message instead of hanging") {
  Project project;
  write_file(project.source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.25)\nproject(wait C)\nfind_package(Threads REQUIRED)\n"
             "add_executable(wait wait.c)\ntarget_link_libraries(wait PRIVATE Threads::Threads)\n");
  write_file(project.source / "wait.c", R"(#include <pthread.h>
#include <stdio.h>
int main(void) {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&mutex);
  printf("waiting\n");
  fflush(stdout);
  return pthread_cond_wait(&cond, &mutex);
}
)");
  const auto configured = project.configure();
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  const auto ran = project.wasibuild.exec({(project.build / "wait.wasm").string()});
  CHECK(ran.out == "waiting\n");
  CHECK(ran.err.find("wasibuild: pthread_cond_wait would wait forever: this WASI target has one thread") !=
        std::string::npos);
  CHECK(ran.exit_status == 134);
}

TEST_CASE("with clang 22 and a newer wasi-libc its own pthread.h and pthreads win") {
  if (!have_clang22()) return;
  Project project;
  write_threads_project(project, kUpstreamThreadsProgram);
  // wasi-libc's own layer answers for its own types: check that ours is
  // neither on the include path nor in the support archive.
  write_file(project.source / "ours.c", "#include <pthread.h>\n#ifdef __WASIBUILD_PTHREAD_H\n#error ours\n#endif\n"
                                        "int main(void) { return 0; }\n");
  std::string lists = kThreadsCMakeLists;
  lists += "add_executable(ours ours.c)\n";
  write_file(project.source / "CMakeLists.txt", lists);
  const auto configured =
      configure_build_and_test_threads(project, toolchain_dir_definitions(kClang22));
  CHECK(configured.out.find("-- threads: found=TRUE pthreads=1") != std::string::npos);
  CHECK_FALSE(fs::exists(project.build / "CMakeFiles/wasibuild-pthread"));
  CHECK(fs::exists(project.build / "CMakeFiles/wasibuild-support/temp_files.o"));
}

// Signal sets and masks (support/signal_mask.c), handlers through
// sigaction() and an alternate stack (support/signal_action.c), resource
// limits (support/resource_limits.c), resource usage with Linux's struct
// rusage (support/resource_usage.c), file owners (support/owners.c), the
// creation mask (support/modes.c), qsort_r (support/sort.c) and syslog
// (support/syslog.c), each result checked by the program, with both
// toolchains; configure checks find them.
namespace {

constexpr const char* kMasksAndOwners = R"(#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static int failures;
#define EXPECT(what) do { if (!(what)) { printf("FAILED line %d: %s (errno %d)\n", __LINE__, #what, errno); ++failures; } } while (0)

static int seen_signal, seen_code, plain_calls;
static void on_info(int number, siginfo_t* info, void* context) {
  (void)number; (void)context;
  seen_signal = info->si_signo;
  seen_code = info->si_code;
}
static void on_plain(int number) { (void)number; ++plain_calls; }

// Handlers run inside raise(); what was installed reads back, also when
// signal() installed it.
static void handlers(void) {
  struct sigaction action = {0}, previous;
  action.sa_sigaction = on_info;
  action.sa_flags = SA_SIGINFO;
  EXPECT(sigaction(SIGUSR1, &action, &previous) == 0 && previous.sa_handler == SIG_DFL);
  EXPECT(raise(SIGUSR1) == 0 && seen_signal == SIGUSR1 && seen_code == SI_USER);
  EXPECT(sigaction(SIGUSR1, NULL, &previous) == 0 && previous.sa_sigaction == on_info &&
         (previous.sa_flags & SA_SIGINFO));
  action.sa_handler = on_plain;
  action.sa_flags = SA_RESETHAND;
  EXPECT(sigaction(SIGUSR2, &action, NULL) == 0 && raise(SIGUSR2) == 0 && plain_calls == 1);
  EXPECT(sigaction(SIGUSR2, NULL, &previous) == 0 && previous.sa_handler == SIG_DFL);
  EXPECT(signal(SIGTERM, on_plain) == SIG_DFL);
  EXPECT(sigaction(SIGTERM, NULL, &previous) == 0 && previous.sa_handler == on_plain);
  errno = 0;
  EXPECT(sigaction(SIGKILL, &action, NULL) == -1 && errno == EINVAL);
  action.sa_handler = SIG_IGN;
  action.sa_flags = 0;
  EXPECT(sigaction(SIGINT, &action, NULL) == 0 && raise(SIGINT) == 0);  // ignored: the program goes on
  static char memory[SIGSTKSZ];
  stack_t stack = {0}, old_stack;
  stack.ss_sp = memory;
  stack.ss_size = sizeof memory;
  EXPECT(sigaltstack(&stack, &old_stack) == 0 && (old_stack.ss_flags & SS_DISABLE));
  EXPECT(sigaltstack(NULL, &old_stack) == 0 && old_stack.ss_sp == memory && old_stack.ss_size == sizeof memory);
  stack.ss_size = 16;
  errno = 0;
  EXPECT(sigaltstack(&stack, NULL) == -1 && errno == ENOMEM);
}

// The limits a WASI program really has: the stack wasm-ld reserved (the
// toolchain file's 8 MiB), no core; lowering is fine, raising is not.
static void limits(void) {
  struct rlimit limit;
  EXPECT(getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur == 8u << 20 && limit.rlim_max == 8u << 20);
  EXPECT(getrlimit(RLIMIT_CORE, &limit) == 0 && limit.rlim_cur == 0 && limit.rlim_max == 0);
  EXPECT(getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur == 1024);
  EXPECT(getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur == RLIM_INFINITY);
  limit.rlim_cur = limit.rlim_max = 16u << 20;
  errno = 0;
  EXPECT(setrlimit(RLIMIT_STACK, &limit) == -1 && errno == EPERM);
  limit.rlim_cur = 1u << 20;
  limit.rlim_max = 8u << 20;
  EXPECT(setrlimit(RLIMIT_STACK, &limit) == 0);
  EXPECT(getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur == 1u << 20 && limit.rlim_max == 8u << 20);
  limit.rlim_cur = 2;
  limit.rlim_max = 1;
  errno = 0;
  EXPECT(setrlimit(RLIMIT_NOFILE, &limit) == -1 && errno == EINVAL);
  errno = 0;
  EXPECT(getrlimit(99, &limit) == -1 && errno == EINVAL);
  // The nice value, as for an unprivileged process.
  errno = 0;
  EXPECT(getpriority(PRIO_PROCESS, 0) == 0 && errno == 0);
  EXPECT(setpriority(PRIO_PROCESS, 0, 5) == 0 && getpriority(PRIO_PROCESS, 0) == 5);
  errno = 0;
  EXPECT(setpriority(PRIO_PROCESS, 0, -20) == -1 && errno == EACCES);
  EXPECT(setpriority(PRIO_PROCESS, 0, 40) == 0 && getpriority(PRIO_PROCESS, 0) == 19);
  errno = 0;
  EXPECT(getpriority(PRIO_PROCESS, 77) == -1 && errno == ESRCH);
  errno = 0;
  EXPECT(getpriority(9, 0) == -1 && errno == EINVAL);
}

// Linux's struct rusage: the peak memory in KiB is the linear memory's
// size, the times are wasi-libc's, counters WASI lacks are 0.
static void usage(void) {
  struct rusage self;
  memset(&self, 0xff, sizeof self);
  EXPECT(getrusage(RUSAGE_SELF, &self) == 0);
  EXPECT(self.ru_maxrss == (long)(__builtin_wasm_memory_size(0) * 64) && self.ru_maxrss >= 64);
  EXPECT(self.ru_minflt == 0 && self.ru_majflt == 0 && self.ru_nvcsw == 0 && self.ru_nivcsw == 0);
  EXPECT(self.ru_utime.tv_sec >= 0 && self.ru_utime.tv_usec >= 0 && self.ru_utime.tv_usec < 1000000);
  struct rusage children;
  EXPECT(getrusage(RUSAGE_CHILDREN, &children) == 0 && children.ru_maxrss == 0);
  errno = 0;
  EXPECT(getrusage(12345, &self) == -1 && errno == EINVAL);
}

// The creation mask is process state; qsort_r passes its argument on, also
// to a sort nested in a comparator.
static int by_key(const void* left, const void* right, void* key) {
  const int l = *(const int*)left, r = *(const int*)right;
  if (*(int*)key == 1) {  // sorting within a comparison: the inner sort gets its own key
    int inner[] = {3, 1, 2}, descending = -1;
    qsort_r(inner, 3, sizeof inner[0], by_key, &descending);
    EXPECT(inner[0] == 3 && inner[2] == 1);
  }
  return *(int*)key * ((l > r) - (l < r));
}
static void masks_and_sorting(void) {
  EXPECT(umask(077) == 022);
  EXPECT(umask(0) == 077);
  EXPECT(umask(01777) == 0 && umask(022) == 0777);
  int values[] = {5, 2, 9, 1}, ascending = 1;
  qsort_r(values, 4, sizeof values[0], by_key, &ascending);
  EXPECT(values[0] == 1 && values[1] == 2 && values[2] == 5 && values[3] == 9);
}

// syslog without a system logger: dropped, except with LOG_PERROR, within the mask.
static void logging(void) {
  FILE* captured = tmpfile();
  const int saved = dup(2);
  EXPECT(captured != NULL && saved >= 0 && dup2(fileno(captured), 2) == 2);
  syslog(LOG_ERR, "dropped: no LOG_PERROR");
  openlog("probe", LOG_PERROR | LOG_PID, LOG_USER);
  errno = ENOENT;
  syslog(LOG_ERR, "disk %d: %m, 100%% full", 7);
  EXPECT(setlogmask(LOG_UPTO(LOG_WARNING)) == 0xff);
  syslog(LOG_INFO, "dropped: below the mask");
  syslog(LOG_WARNING, "kept\n");
  // A format longer than the layer's buffer is cut between whole pieces,
  // never inside a conversion.
  static char long_format[1400];
  memset(long_format, 'a', 1020);
  strcpy(long_format + 1020, "%-8ld tail");
  syslog(LOG_WARNING, long_format, 5L);
  closelog();
  EXPECT(dup2(saved, 2) == 2);
  static char text[4096];
  rewind(captured);
  EXPECT(fread(text, 1, sizeof text - 1, captured) > 0);
  const char* expected = "probe: disk 7: No such file or directory, 100% full\nprobe: kept\nprobe: aaa";
  EXPECT(strncmp(text, expected, strlen(expected)) == 0);
  const char* last = strstr(text, "probe: aaa");
  EXPECT(last != NULL && strlen(last) == strlen("probe: ") + 1020 + 1 && strchr(last, '%') == NULL);
  fclose(captured);
}

int main(void) {
  handlers();
  limits();
  usage();
  masks_and_sorting();
  logging();
  sigset_t set, old, pending;
  EXPECT(sigemptyset(&set) == 0 && sigismember(&set, SIGINT) == 0);
  EXPECT(sigaddset(&set, SIGINT) == 0 && sigaddset(&set, SIGTERM) == 0);
  EXPECT(sigismember(&set, SIGINT) == 1 && sigismember(&set, SIGTERM) == 1 && sigismember(&set, SIGHUP) == 0);
  EXPECT(sigdelset(&set, SIGTERM) == 0 && sigismember(&set, SIGTERM) == 0);
  errno = 0;
  EXPECT(sigaddset(&set, 0) == -1 && errno == EINVAL);
  EXPECT(sigaddset(&set, 65) == -1 && errno == EINVAL);
  EXPECT(sigprocmask(SIG_BLOCK, &set, &old) == 0 && sigismember(&old, SIGINT) == 0);
  EXPECT(pthread_sigmask(SIG_SETMASK, NULL, &old) == 0 && sigismember(&old, SIGINT) == 1);
  sigset_t all;
  EXPECT(sigfillset(&all) == 0 && sigismember(&all, SIGKILL) == 1 && sigismember(&all, 64) == 1);
  EXPECT(pthread_sigmask(SIG_UNBLOCK, &set, &old) == 0 && sigismember(&old, SIGINT) == 1);
  EXPECT(sigprocmask(SIG_SETMASK, NULL, &old) == 0 && sigismember(&old, SIGINT) == 0);
  EXPECT(pthread_sigmask(42, &set, NULL) == EINVAL);
  errno = 0;
  EXPECT(sigprocmask(42, &set, NULL) == -1 && errno == EINVAL);
  EXPECT(sigpending(&pending) == 0 && sigismember(&pending, SIGINT) == 0);

  const char *path = "/tmp/owned";
  int fd = open(path, O_CREAT | O_WRONLY, 0600);
  EXPECT(fd >= 0);
  EXPECT(chown(path, (uid_t)-1, (gid_t)-1) == 0);
  EXPECT(chown(path, 0, 0) == 0);
  EXPECT(lchown(path, 0, (gid_t)-1) == 0);
  EXPECT(fchown(fd, 0, 0) == 0);
  errno = 0;
  EXPECT(chown(path, 1000, (gid_t)-1) == -1 && errno == EPERM);
  errno = 0;
  EXPECT(fchown(fd, (uid_t)-1, 1000) == -1 && errno == EPERM);
  errno = 0;
  EXPECT(chown("/tmp/no-such-file", 0, 0) == -1 && errno == ENOENT);
  // Modes cannot change: both libcs answer ENOSYS.
  errno = 0;
  EXPECT(chmod(path, 0644) == -1 && errno == ENOSYS);
  errno = 0;
  EXPECT(fchmod(fd, 0644) == -1 && errno == ENOSYS);
  close(fd);
  printf(failures ? "masks and owners: %d failed\n" : "masks and owners: all passed\n", failures);
  return failures != 0;
}
)";

constexpr const char* kMasksAndOwnersCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(masks C)
include(CheckSymbolExists)
set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE)
check_symbol_exists(pthread_sigmask signal.h HAVE_PTHREAD_SIGMASK)
check_symbol_exists(sigprocmask signal.h HAVE_SIGPROCMASK)
check_symbol_exists(chown unistd.h HAVE_CHOWN)
check_symbol_exists(chmod sys/stat.h HAVE_CHMOD)
check_symbol_exists(sigaction signal.h HAVE_SIGACTION)
check_symbol_exists(sigaltstack signal.h HAVE_SIGALTSTACK)
check_symbol_exists(setrlimit sys/resource.h HAVE_SETRLIMIT)
check_symbol_exists(setpriority sys/resource.h HAVE_SETPRIORITY)
check_symbol_exists(getrusage sys/resource.h HAVE_GETRUSAGE)
check_symbol_exists(umask sys/stat.h HAVE_UMASK)
check_symbol_exists(qsort_r stdlib.h HAVE_QSORT_R)
check_symbol_exists(syslog syslog.h HAVE_SYSLOG)
message(STATUS "umask=${HAVE_UMASK} qsort_r=${HAVE_QSORT_R} syslog=${HAVE_SYSLOG}")
include(CheckStructHasMember)
check_struct_has_member("struct rusage" ru_maxrss sys/resource.h HAVE_RU_MAXRSS)
message(STATUS "getrusage=${HAVE_GETRUSAGE} ru_maxrss=${HAVE_RU_MAXRSS}")
message(STATUS "pthread_sigmask=${HAVE_PTHREAD_SIGMASK} sigprocmask=${HAVE_SIGPROCMASK} chown=${HAVE_CHOWN} chmod=${HAVE_CHMOD}")
message(STATUS "sigaction=${HAVE_SIGACTION} sigaltstack=${HAVE_SIGALTSTACK} setrlimit=${HAVE_SETRLIMIT} setpriority=${HAVE_SETPRIORITY}")
enable_testing()
add_executable(masks masks.c)
target_compile_options(masks PRIVATE -Wall -Wextra -Werror)
add_test(NAME masks COMMAND masks)
set_tests_properties(masks PROPERTIES PASS_REGULAR_EXPRESSION "masks and owners: all passed")
)";

void check_masks_and_owners(const std::vector<std::string>& definitions) {
  Project project;
  write_file(project.source / "CMakeLists.txt", kMasksAndOwnersCMakeLists);
  write_file(project.source / "masks.c", kMasksAndOwners);
  const auto configured = configure_build_and_ctest(project, definitions, 1);
  CHECK(configured.out.find("-- pthread_sigmask=1 sigprocmask=1 chown=1 chmod=1\n") != std::string::npos);
  CHECK(configured.out.find("-- sigaction=1 sigaltstack=1 setrlimit=1 setpriority=1\n") != std::string::npos);
  CHECK(configured.out.find("-- getrusage=1 ru_maxrss=1\n") != std::string::npos);
  CHECK(configured.out.find("-- umask=1 qsort_r=1 syslog=1\n") != std::string::npos);
}

}  // namespace

TEST_CASE("signal masks are process state, sigaction() handlers run in raise(), file owners act as unprivileged, with clang 19") {
  check_masks_and_owners({});
}

TEST_CASE("signal masks, sigaction() and file owners with clang 22 and a newer wasi-libc") {
  if (!have_clang22()) return;
  check_masks_and_owners(toolchain_dir_definitions(kClang22));
}

// dup(), dup2() and dup3() over the runner's descriptor table
// (cmake-modules/support/descriptors.c, runner/src/descriptors.hpp): stdout
// captured into a temp file and restored, as googletest's CaptureStdout
// does; a duplicate shares the offset and outlives the original; the lowest
// free number; poll() and openat() through duplicates; the errors POSIX
// names, and EMFILE at the descriptor limit.
namespace {

constexpr const char* kDuplicates = R"(#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define EXPECT(what) do { if (!(what)) { fprintf(stderr, "FAILED line %d: %s (errno %d)\n", __LINE__, #what, errno); ++failures; } } while (0)

static void capture_stdout(void) {
  char name[] = "/tmp/captured-XXXXXX";
  fflush(stdout);
  const int saved = dup(1);
  const int file = mkstemp(name);
  EXPECT(saved > 2 && file > 2 && saved != file);
  EXPECT(dup2(file, 1) == 1 && close(file) == 0);
  printf("into the file\n");
  fflush(stdout);
  EXPECT(dup2(saved, 1) == 1 && close(saved) == 0);
  char line[32] = {0};
  FILE *back = fopen(name, "r");
  EXPECT(back != NULL && fgets(line, sizeof line, back) != NULL && strcmp(line, "into the file\n") == 0);
  EXPECT(back != NULL && fclose(back) == 0);
}

static void shared_offset(void) {
  const int fd = open("/tmp/shared", O_RDWR | O_CREAT | O_TRUNC, 0600);
  EXPECT(fd >= 0 && write(fd, "abc", 3) == 3);
  const int copy = dup(fd);
  EXPECT(copy >= 0 && copy != fd && lseek(copy, 0, SEEK_CUR) == 3);
  EXPECT(write(copy, "de", 2) == 2 && lseek(fd, 0, SEEK_CUR) == 5);
  EXPECT(close(fd) == 0 && write(copy, "f", 1) == 1);
  char content[8] = {0};
  EXPECT(pread(copy, content, sizeof content, 0) == 6 && strcmp(content, "abcdef") == 0);
  struct pollfd ready = {.fd = copy, .events = POLLOUT};
  EXPECT(poll(&ready, 1, 0) == 1 && (ready.revents & POLLOUT));
  EXPECT(close(copy) == 0);
  errno = 0;
  EXPECT(write(copy, "g", 1) == -1 && errno == EBADF);
}

static void directories(void) {
  const int directory = open("/tmp", O_RDONLY | O_DIRECTORY);
  const int copy = dup(directory);
  EXPECT(directory >= 0 && copy >= 0 && close(directory) == 0);
  const int inside = openat(copy, "in-copy", O_WRONLY | O_CREAT, 0600);
  EXPECT(inside >= 0 && inside != copy && write(inside, "x", 1) == 1 && close(inside) == 0);
  EXPECT(access("/tmp/in-copy", F_OK) == 0 && close(copy) == 0);
  // An absolute link into the source tree: the runner's link reading works
  // under the descriptor table too, which hands it Wasmtime's numbers.
  FILE *linked = fopen("linked_source.c", "r");
  char first[24] = {0};
  EXPECT(linked != NULL && fgets(first, sizeof first, linked) != NULL && strcmp(first, "#define _GNU_SOURCE\n") == 0);
  EXPECT(linked != NULL && fclose(linked) == 0);
}

static void numbers_and_errors(void) {
  EXPECT(close(0) == 0 && dup(2) == 0);  // the lowest free number
  EXPECT(write(0, "", 0) == 0 && close(0) == 0);
  EXPECT(dup2(2, 2) == 2);
  errno = 0;
  EXPECT(dup(77) == -1 && errno == EBADF);
  errno = 0;
  EXPECT(dup2(77, 5) == -1 && errno == EBADF);
  errno = 0;
  EXPECT(dup2(1, 5000) == -1 && errno == EBADF);
  errno = 0;
  EXPECT(dup2(1, -1) == -1 && errno == EBADF);
  errno = 0;
  EXPECT(dup3(1, 1, 0) == -1 && errno == EINVAL);
  const int three = dup3(1, 40, O_CLOEXEC);
  EXPECT(three == 40 && close(40) == 0);
  int made = 0, last = -1;
  while ((last = dup(1)) >= 0) ++made;
  EXPECT(errno == EMFILE && made > 1000 && made < 1024);
  for (int fd = 3; fd < 1024; ++fd) (void)close(fd);
}

int main(void) {
  capture_stdout();
  shared_offset();
  directories();
  numbers_and_errors();
  printf(failures ? "duplicates: %d failed\n" : "duplicates: all passed\n", failures);
  return failures != 0;
}
)";

// pipe() and pipe2() over the runner's pipes: a round trip, stdout
// captured through a pipe and restored (as fmt's and many test helpers'
// output redirection does), end of file once every write end is closed,
// EPIPE without a reader, O_NONBLOCK's EAGAIN, poll() readiness, fstat()
// and lseek() on a pipe, and a full pipe's short write.
constexpr const char* kPipes = R"(#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define EXPECT(what) do { if (!(what)) { fprintf(stderr, "FAILED line %d: %s (errno %d)\n", __LINE__, #what, errno); ++failures; } } while (0)

static void round_trip(void) {
  int ends[2];
  EXPECT(pipe(ends) == 0 && ends[0] > 2 && ends[1] == ends[0] + 1);
  EXPECT(write(ends[1], "hello", 5) == 5);
  struct stat status;
  EXPECT(fstat(ends[0], &status) == 0 && status.st_size == 5);
  errno = 0;
  EXPECT(lseek(ends[0], 0, SEEK_SET) == -1 && errno == ESPIPE);
  struct pollfd polled[2] = {{.fd = ends[0], .events = POLLIN}, {.fd = ends[1], .events = POLLOUT}};
  EXPECT(poll(polled, 2, -1) == 2 && (polled[0].revents & POLLIN) && (polled[1].revents & POLLOUT));
  char buffer[16] = {0};
  EXPECT(read(ends[0], buffer, 3) == 3 && memcmp(buffer, "hel", 3) == 0);
  EXPECT(read(ends[0], buffer, sizeof buffer) == 2 && memcmp(buffer, "lo", 2) == 0);
  const int copy = dup(ends[1]);
  EXPECT(close(ends[1]) == 0 && write(copy, "!", 1) == 1 && close(copy) == 0);
  EXPECT(read(ends[0], buffer, sizeof buffer) == 1 && read(ends[0], buffer, sizeof buffer) == 0);  // then end of file
  EXPECT(close(ends[0]) == 0);
}

static void capture_stdout(void) {
  int ends[2];
  EXPECT(pipe(ends) == 0);
  fflush(stdout);
  const int saved = dup(1);
  EXPECT(dup2(ends[1], 1) == 1 && close(ends[1]) == 0);
  printf("captured %d\n", 42);
  fflush(stdout);
  EXPECT(dup2(saved, 1) == 1 && close(saved) == 0);
  char line[32] = {0};
  EXPECT(read(ends[0], line, sizeof line) == 12 && strcmp(line, "captured 42\n") == 0);
  EXPECT(read(ends[0], line, sizeof line) == 0 && close(ends[0]) == 0);
}

static void errors_and_limits(void) {
  int ends[2];
  EXPECT(pipe2(ends, O_NONBLOCK | O_CLOEXEC) == 0);
  char buffer[4096];
  errno = 0;
  EXPECT(read(ends[0], buffer, sizeof buffer) == -1 && errno == EAGAIN);
  memset(buffer, 'x', sizeof buffer);
  long written = 0;
  for (int i = 0; i < 20; ++i) {
    const ssize_t n = write(ends[1], buffer, sizeof buffer);
    if (n < 0) break;
    written += n;
  }
  EXPECT(written == 65536 && errno == EAGAIN);
  EXPECT(close(ends[0]) == 0);
  errno = 0;
  EXPECT(write(ends[1], "x", 1) == -1 && errno == EPIPE);
  EXPECT(close(ends[1]) == 0);
  errno = 0;
  EXPECT(pipe2(ends, 0x40000000) == -1 && errno == EINVAL);
}

int main(void) {
  round_trip();
  capture_stdout();
  errors_and_limits();
  printf(failures ? "pipes: %d failed\n" : "pipes: all passed\n", failures);
  return failures != 0;
}
)";

// A blocking read of an empty pipe whose write end the program holds: with
// no other thread it would wait forever; the program ends with a message.
constexpr const char* kPipeForever = R"(#include <unistd.h>
int main(void) {
  int ends[2];
  char byte;
  if (pipe(ends) != 0) return 1;
  return (int)read(ends[0], &byte, 1);
}
)";

constexpr const char* kDuplicatesCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(duplicates C)
include(CheckSymbolExists)
check_symbol_exists(dup unistd.h HAVE_DUP)
message(STATUS "dup=${HAVE_DUP}")
enable_testing()
add_executable(duplicates duplicates.c)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/duplicates.c ${CMAKE_BINARY_DIR}/linked_source.c SYMBOLIC)
target_compile_options(duplicates PRIVATE -Wall -Wextra -Werror)
add_test(NAME duplicates COMMAND duplicates)
set_tests_properties(duplicates PROPERTIES PASS_REGULAR_EXPRESSION "duplicates: all passed")
add_executable(pipes pipes.c)
target_compile_options(pipes PRIVATE -Wall -Wextra -Werror)
add_test(NAME pipes COMMAND pipes)
set_tests_properties(pipes PROPERTIES PASS_REGULAR_EXPRESSION "pipes: all passed")
add_executable(pipe_forever pipe_forever.c)
)";

void check_duplicates(const std::vector<std::string>& definitions) {
  Project project;
  write_file(project.source / "CMakeLists.txt", kDuplicatesCMakeLists);
  write_file(project.source / "duplicates.c", kDuplicates);
  write_file(project.source / "pipes.c", kPipes);
  write_file(project.source / "pipe_forever.c", kPipeForever);
  const auto configured = configure_build_and_ctest(project, definitions, 2);
  CHECK(configured.out.find("-- dup=1\n") != std::string::npos);
  const auto forever = project.wasibuild.exec({"--timeout", "60s", (project.build / "pipe_forever.wasm").string()});
  CHECK(forever.exit_status == 134);
  CHECK(forever.err.find("read from an empty pipe: this program holds the other end itself and has no other "
                         "thread, so it would wait forever") != std::string::npos);
}

}  // namespace

TEST_CASE("dup() and pipe() work through the runner's descriptor table, with clang 19") {
  check_duplicates({});
}

TEST_CASE("dup() and pipe() with clang 22 and a newer wasi-libc") {
  if (!have_clang22()) return;
  check_duplicates(toolchain_dir_definitions(kClang22));
}

namespace {

// /dev/null and friends, which no grant covers: the support library's own
// descriptors (support/devices.c).
constexpr const char* kDevices = R"(#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define EXPECT(what) do { if (!(what)) { fprintf(stderr, "FAILED line %d: %s (errno %d)\n", __LINE__, #what, errno); ++failures; } } while (0)

int main(void) {
  FILE *null = fopen("/dev/null", "w");
  EXPECT(null != NULL && fprintf(null, "thrown away\n") > 0 && fclose(null) == 0);
  const int fd = open("/dev/null", O_RDWR);
  char bytes[64];
  EXPECT(fd >= 0 && read(fd, bytes, sizeof bytes) == 0 && write(fd, "x", 1) == 1);
  EXPECT(isatty(fd) == 0 && lseek(fd, 0, SEEK_END) == 0);
  struct stat status;
  EXPECT(fstat(fd, &status) == 0 && S_ISCHR(status.st_mode));
  EXPECT(stat("/dev/null", &status) == 0 && S_ISCHR(status.st_mode) && access("/dev/null", W_OK) == 0);
  EXPECT(close(fd) == 0);
  errno = 0;
  EXPECT(write(fd, "x", 1) == -1 && errno == EBADF);
  const int zero = open("/dev/zero", O_RDONLY);
  memset(bytes, 1, sizeof bytes);
  EXPECT(zero >= 0 && read(zero, bytes, sizeof bytes) == (ssize_t)sizeof bytes && bytes[0] == 0 && bytes[63] == 0);
  EXPECT(close(zero) == 0);
  FILE *random = fopen("/dev/urandom", "rb");
  unsigned char seed[600] = {0};
  EXPECT(random != NULL && fread(seed, 1, sizeof seed, random) == sizeof seed && fclose(random) == 0);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof seed; ++i) nonzero += seed[i] != 0;
  EXPECT(nonzero > 500);
  errno = 0;
  EXPECT(open("/dev/sda", O_RDONLY) == -1 && open("/dev/null", O_RDONLY | O_DIRECTORY) == -1);
  // A tool handed /dev/stdout as its output file.
  fflush(stdout);
  FILE *out = fopen("/dev/stdout", "w");
  EXPECT(out != NULL && fprintf(out, "through /dev/stdout\n") > 0 && fclose(out) == 0);
  // Silencing stdout, then bringing it back.
  fflush(stdout);
  const int saved = dup(1);
  const int silent = open("/dev/null", O_WRONLY);
  EXPECT(saved > 2 && silent >= 0 && dup2(silent, 1) == 1 && close(silent) == 0);
  printf("silenced\n");
  fflush(stdout);
  EXPECT(dup2(saved, 1) == 1 && close(saved) == 0);
  // freopen() renumbers the device onto stderr, which stays silent after.
  EXPECT(freopen("/dev/null", "w", stderr) == stderr);
  fprintf(stderr, "silenced\n");
  printf(failures ? "devices: %d failed\n" : "devices: all passed\n", failures);
  return failures != 0;
}
)";

constexpr const char* kDevicesCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(devices C)
enable_testing()
add_executable(devices devices.c)
target_compile_options(devices PRIVATE -Wall -Wextra -Werror)
add_test(NAME devices COMMAND devices)
set_tests_properties(devices PROPERTIES PASS_REGULAR_EXPRESSION "through /dev/stdout\ndevices: all passed"
  FAIL_REGULAR_EXPRESSION "silenced")
)";

void check_devices(const std::vector<std::string>& definitions) {
  Project project;
  write_file(project.source / "CMakeLists.txt", kDevicesCMakeLists);
  write_file(project.source / "devices.c", kDevices);
  (void)configure_build_and_ctest(project, definitions, 1);
  // Outside CTest, with no grant at all.
  const auto ran = project.wasibuild.exec({(project.build / "devices.wasm").string()});
  CHECK(ran.err == "");  // silenced by freopen()
  CHECK(ran.out == "through /dev/stdout\ndevices: all passed\n");
}

}  // namespace

TEST_CASE("/dev/null, /dev/zero, /dev/urandom and /dev/stdout without a grant, with clang 19") { check_devices({}); }

TEST_CASE("/dev/null, /dev/zero, /dev/urandom and /dev/stdout with clang 22 and a newer wasi-libc") {
  if (!have_clang22()) return;
  check_devices(toolchain_dir_definitions(kClang22));
}

// A main(argc, argv) that lives in a static library, as googletest's
// gtest_main does: newer wasi-libc refers to it only weakly, which takes
// nothing out of an archive, so without the toolchain file's
// -u __main_argc_argv the program trapped on start.
namespace {

constexpr const char* kMainInLibraryCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(mainlib C)
enable_testing()
add_library(driver STATIC driver.c)
add_executable(tested tested.c)
target_link_libraries(tested PRIVATE driver)
add_executable(own_main own_main.c)
target_link_libraries(own_main PRIVATE driver)
add_test(NAME tested COMMAND tested one two)
set_tests_properties(tested PROPERTIES PASS_REGULAR_EXPRESSION "driver ran 42 with 3 arguments")
add_test(NAME own_main COMMAND own_main)
set_tests_properties(own_main PROPERTIES PASS_REGULAR_EXPRESSION "own main\n")
)";

void check_main_in_library(const std::vector<std::string>& definitions) {
  Project project;
  write_file(project.source / "CMakeLists.txt", kMainInLibraryCMakeLists);
  write_file(project.source / "driver.c", "#include <stdio.h>\nint run_tests(void);\n"
                                          "int main(int argc, char** argv) {\n"
                                          "  (void)argv;\n"
                                          "  printf(\"driver ran %d with %d arguments\\n\", run_tests(), argc);\n"
                                          "  return 0;\n}\n");
  write_file(project.source / "tested.c", "int run_tests(void) { return 42; }\n");
  write_file(project.source / "own_main.c", "#include <stdio.h>\nint run_tests(void) { return 1; }\n"
                                            "int main(void) { puts(\"own main\"); return 0; }\n");
  configure_build_and_ctest(project, definitions, 2);
}

}  // namespace

TEST_CASE("a main(argc, argv) in a static library is linked, with clang 19") { check_main_in_library({}); }

TEST_CASE("a main(argc, argv) in a static library is linked, with clang 22 and a newer wasi-libc") {
  if (!have_clang22()) return;
  check_main_in_library(toolchain_dir_definitions(kClang22));
}

// The test's working directory as every program sees it (support/cwd.c,
// kept in every command by support/start.c): a C++ static initializer
// already sees it, as googletest does when it records where its output
// goes; a program that uses chdir() itself (so wasi-libc's own chdir.o,
// with its weak path lookup, is linked) still resolves `..` across grants;
// a program that only calls getcwd() sees it too.
namespace {

constexpr const char* kWorkingDirectoryCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(early C CXX)
enable_testing()
add_executable(early early.cpp)
add_test(NAME early COMMAND early)
set_tests_properties(early PROPERTIES
  PASS_REGULAR_EXPRESSION "early ${CMAKE_BINARY_DIR}, main ${CMAKE_BINARY_DIR}, source file read\n")
add_executable(only_getcwd only_getcwd.c)
add_test(NAME only_getcwd COMMAND only_getcwd)
set_tests_properties(only_getcwd PROPERTIES PASS_REGULAR_EXPRESSION "getcwd ${CMAKE_BINARY_DIR}\nempty path -1 fails\n")
)";

constexpr const char* kEarly = R"cpp(#include <cstdio>
#include <string>
#include <unistd.h>
static std::string working_directory() {
  char buffer[1024];
  return getcwd(buffer, sizeof buffer) ? buffer : "(error)";
}
static const std::string early = working_directory();
int main(int argc, char** argv) {
  if (argc > 5 && chdir(argv[1]) != 0) return 2;  // never taken: links chdir()
  std::FILE* source = std::fopen("../src/CMakeLists.txt", "r");  // the source tree: another grant
  std::printf("early %s, main %s, source file %s\n", early.c_str(), working_directory().c_str(),
              source != nullptr ? "read" : "missing");
  std::FILE* relative = std::fopen("written-here", "w");
  return relative != nullptr && std::fclose(relative) == 0 ? 0 : 1;
}
)cpp";

void check_working_directory(const std::vector<std::string>& definitions) {
  Project project;
  write_file(project.source / "CMakeLists.txt", kWorkingDirectoryCMakeLists);
  write_file(project.source / "early.cpp", kEarly);
  write_file(project.source / "only_getcwd.c",
             "#include <errno.h>\n#include <stdio.h>\n#include <sys/stat.h>\n#include <unistd.h>\n"
             "int main(void) {\n"
             "  char b[1024];\n"
             "  printf(\"getcwd %s\\n\", getcwd(b, sizeof b));\n"
             "  struct stat st;\n"
             "  errno = 0;\n"
             // An empty path names no file: ENOENT (Debian 12's wasi-libc
             // reports every failed lookup as ENOTCAPABLE instead).
             "  const int empty = stat(\"\", &st);\n"
             "  printf(\"empty path %d %s\\n\", empty, errno == ENOENT || errno == ENOTCAPABLE ? \"fails\" : \"?\");\n"
             "  return 0;\n}\n");
  configure_build_and_ctest(project, definitions, 2);
  CHECK(fs::exists(project.build / "written-here"));
}

}  // namespace

TEST_CASE("every program starts in the test's working directory, from static initializers on, with clang 19") {
  check_working_directory({});
}

TEST_CASE("every program starts in the test's working directory, also with clang 22's chdir.o linked") {
  if (!have_clang22()) return;
  check_working_directory(toolchain_dir_definitions(kClang22));
}
