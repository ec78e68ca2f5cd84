#include "@NAME@/@NAME@.hpp"

namespace @IDENT@ {

int add(int a, int b) { return a + b; }

}  // namespace @IDENT@
