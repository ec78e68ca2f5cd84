// Which toolchain a build uses, by the documented order (design.md, 7).
#include <algorithm>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

namespace {

const Toolchain* find_named(const std::vector<Toolchain>& installed, const std::string& name) {
  auto found = std::find_if(installed.begin(), installed.end(), [&](const Toolchain& t) { return t.name == name; });
  return found == installed.end() ? nullptr : &*found;
}

// How to choose the system toolchain instead, in the place that named the
// missing one.
std::string system_instead(Resolution::Rule rule) {
  switch (rule) {
    case Resolution::Rule::flag: return "or use the system toolchain: --toolchain system";
    case Resolution::Rule::environment: return "or use the system toolchain: WASIBUILD_TOOLCHAIN=system";
    case Resolution::Rule::project: return "or use the system toolchain: [toolchain] name = \"system\" in wasibuild.toml";
    default: return "or use the system toolchain: wasibuild toolchain default system";
  }
}

// "33" and "wasi-sdk-33" name the same SDK; "system" the system provider.
Result<Resolution> by_name(const ResolveInputs& inputs, const std::string& name, Resolution::Rule rule) {
  if (name == "system") {
    if (inputs.system) return Resolution{rule, inputs.system, name};
    return Error{Error::Kind::not_installed, name, {}, {}, {},
                 {"install Debian's WASI toolchain: apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 "
                  "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32"}};
  }
  const bool is_version = !name.empty() && std::all_of(name.begin(), name.end(), ::isdigit);
  const std::string full_name = is_version ? "wasi-sdk-" + name : name;
  if (const Toolchain* toolchain = find_named(inputs.installed, full_name)) return Resolution{rule, *toolchain, name};
  if (!is_valid_name(full_name)) return Error{Error::Kind::bad_name, name};
  // Only WASI SDK releases install by name; anything else came --from an archive.
  const bool is_release = is_version || full_name.starts_with("wasi-sdk-");
  std::vector<std::string> help = {
      is_release ? "install it: wasibuild toolchain install " + (is_version ? name : full_name.substr(9))
                 : "install it: wasibuild toolchain install --from URL|FILE --name " + full_name,
      "or see what is installed: wasibuild toolchain list"};
  if (inputs.system) help.push_back(system_instead(rule));
  return Error{Error::Kind::not_installed, full_name, {}, {}, {}, std::move(help)};
}

int sdk_version(const Toolchain& toolchain) {
  try {
    return std::stoi(toolchain.version);
  } catch (...) {
    return -1;
  }
}

}  // namespace

std::string rule_description(Resolution::Rule rule) {
  switch (rule) {
    case Resolution::Rule::flag: return "chosen by --toolchain";
    case Resolution::Rule::environment: return "chosen by WASIBUILD_TOOLCHAIN";
    case Resolution::Rule::project: return "chosen by the project's wasibuild.toml";
    case Resolution::Rule::user_default: return "the user default (wasibuild toolchain default)";
    case Resolution::Rule::newest_installed_sdk: return "the newest installed WASI SDK";
    case Resolution::Rule::system: return "the system toolchain, as nothing is installed";
    case Resolution::Rule::install_default: return "none found: the pinned default WASI SDK would be installed";
  }
  return {};
}

Result<Resolution> resolve(const ResolveInputs& inputs) {
  using Rule = Resolution::Rule;
  const std::pair<const std::optional<std::string>*, Rule> explicit_choices[] = {
      {&inputs.flag, Rule::flag},
      {&inputs.environment, Rule::environment},
      {&inputs.project, Rule::project},
      {&inputs.user_default, Rule::user_default},
  };
  for (const auto& [choice, rule] : explicit_choices) {
    if (*choice && !(*choice)->empty()) return by_name(inputs, **choice, rule);
  }
  const Toolchain* newest = nullptr;
  for (const Toolchain& toolchain : inputs.installed) {
    if (toolchain.provider != Provider::wasi_sdk) continue;
    if (newest == nullptr || sdk_version(toolchain) > sdk_version(*newest)) newest = &toolchain;
  }
  if (newest != nullptr) return Resolution{Rule::newest_installed_sdk, *newest, newest->name};
  if (inputs.system) return Resolution{Rule::system, inputs.system, "system"};
  return Resolution{Rule::install_default, std::nullopt, {}};
}

}  // namespace wasibuild::toolchain
