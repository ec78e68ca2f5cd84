#include <iostream>

#include "greeting.hpp"

int main(int argc, char** argv) {
  std::cout << greeting(argc > 1 ? argv[1] : "") << '\n';
  return 0;
}
