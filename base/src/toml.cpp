// toml++'s implementation, compiled once here for every user of the library
// (the wasibuild_toml target sets TOML_HEADER_ONLY=0 for them), instead of linking
// Debian's libtomlplusplus.so into the executable (see the top-level
// CMakeLists.txt).
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
