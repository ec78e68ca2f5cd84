// wasibuild's own lines on stderr: colour when wanted, cargo's status form.
#pragma once

#include <string>
#include <string_view>

#include "wasibuild/driver.hpp"

namespace wasibuild::driver {

// Whether to colour, from --color (auto, always, never) and the
// conventions: NO_COLOR (https://no-color.org) and TERM=dumb turn it off,
// CLICOLOR_FORCE (not "0") turns it on; otherwise a terminal on stderr.
// An explicit --color always or never wins over the variables.
[[nodiscard]] bool colour_wanted(std::string_view when, const Env& env);

enum class Style { error, help, status, warning };

// `text` in `style` when env.colour, else as it is.
[[nodiscard]] std::string styled(const Env& env, Style style, std::string_view text);

// "    Finished release in 2.3 s": the verb right-aligned in 12 columns,
// as cargo does, on stderr; nothing under -q.
void print_status(const Env& env, std::string_view verb, std::string_view rest);

}  // namespace wasibuild::driver
