#pragma once

namespace @IDENT@ {

// Adds two numbers; replace with the library's real work.
int add(int a, int b);

}  // namespace @IDENT@
