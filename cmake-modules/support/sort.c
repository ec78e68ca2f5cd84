// GNU's qsort_r() for WASI (docs/posix.md): Debian 12's wasi-libc lacks it
// and newer ones declare it without a definition. It sorts with the libc's
// own qsort() through a comparator that passes on the caller's argument,
// kept per thread and saved around each call, so a comparator that sorts
// again inside itself gets its own argument back (unless it leaves that
// inner sort with longjmp). Weak, as the whole layer.
#define _GNU_SOURCE
#include <stdlib.h>

struct sort_call {
  int (*compare)(const void*, const void*, void*);
  void* argument;
};

static _Thread_local struct sort_call current;

static int compare_with_argument(const void* left, const void* right) {
  return current.compare(left, right, current.argument);
}

__attribute__((weak)) void qsort_r(void* base, size_t count, size_t size,
                                   int (*compare)(const void*, const void*, void*), void* argument) {
  const struct sort_call outer = current;
  current = (struct sort_call){compare, argument};
  qsort(base, count, size, compare_with_argument);
  current = outer;
}
