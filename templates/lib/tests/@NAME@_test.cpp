#include <cstdio>

#include "@NAME@/@NAME@.hpp"

int main() {
  if (@IDENT@::add(2, 3) != 5) {
    std::fprintf(stderr, "FAILED: add(2, 3) == 5\n");
    return 1;
  }
  return 0;
}
