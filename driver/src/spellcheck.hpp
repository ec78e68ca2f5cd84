// "Did you mean": the closest known name to a misspelt one (ninja's
// SpellcheckString), for commands, profiles, toolchains and config keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasibuild::driver {

// The candidate within a small edit distance of `word`, if any.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       const std::vector<std::string>& candidates);

}  // namespace wasibuild::driver
