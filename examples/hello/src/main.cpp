// The example every wasibuild set-up ends with: C++ compiled to wasm32-wasi
// and run in wasibuild's embedded, sandboxed runner.
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::vector<std::string> names(argv + 1, argv + argc);
  const std::string who = names.empty() ? "world" : names.front();
  std::cout << "Hello, " << who << "! (C++" << __cplusplus / 100 % 100 << " in a WASI sandbox)\n";
  return 0;
}
