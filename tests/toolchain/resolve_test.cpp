// Resolution order (design.md, decision 7), as a pure function.
#include <doctest/doctest.h>

#include "wasibuild/toolchain.hpp"

using namespace wasibuild::toolchain;
using Rule = Resolution::Rule;

namespace {

Toolchain sdk(int version) {
  Toolchain toolchain;
  toolchain.name = "wasi-sdk-" + std::to_string(version);
  toolchain.provider = Provider::wasi_sdk;
  toolchain.version = std::to_string(version);
  return toolchain;
}

Toolchain custom(const std::string& name) {
  Toolchain toolchain;
  toolchain.name = name;
  toolchain.provider = Provider::custom;
  return toolchain;
}

Toolchain system() {
  Toolchain toolchain;
  toolchain.name = "system";
  toolchain.provider = Provider::system;
  return toolchain;
}

ResolveInputs everything() {
  ResolveInputs inputs;
  inputs.flag = "wasi-sdk-25";
  inputs.environment = "wasi-sdk-26";
  inputs.project = "27";
  inputs.user_default = "mine";
  inputs.installed = {sdk(25), sdk(26), sdk(27), sdk(9), sdk(30), custom("mine")};
  inputs.system = system();
  return inputs;
}

}  // namespace

TEST_CASE("each rule wins over the ones after it") {
  ResolveInputs inputs = everything();
  auto result = resolve(inputs);
  REQUIRE(result.ok());
  CHECK(result.value().rule == Rule::flag);
  CHECK(result.value().toolchain->name == "wasi-sdk-25");

  inputs.flag.reset();
  CHECK(resolve(inputs).value().rule == Rule::environment);
  CHECK(resolve(inputs).value().toolchain->name == "wasi-sdk-26");

  inputs.environment = "";  // set but empty counts as unset
  CHECK(resolve(inputs).value().rule == Rule::project);
  CHECK(resolve(inputs).value().toolchain->name == "wasi-sdk-27");  // "27" names the SDK

  inputs.project.reset();
  CHECK(resolve(inputs).value().rule == Rule::user_default);
  CHECK(resolve(inputs).value().toolchain->name == "mine");

  inputs.user_default.reset();
  CHECK(resolve(inputs).value().rule == Rule::newest_installed_sdk);
  CHECK(resolve(inputs).value().toolchain->name == "wasi-sdk-30");  // numerically, not "wasi-sdk-9"

  inputs.installed = {custom("mine")};  // custom toolchains are never picked implicitly
  CHECK(resolve(inputs).value().rule == Rule::system);

  inputs.system.reset();
  CHECK(resolve(inputs).value().rule == Rule::install_default);
  CHECK_FALSE(resolve(inputs).value().toolchain.has_value());
}

TEST_CASE("an explicit choice that is not installed is an error with the remedy") {
  ResolveInputs inputs = everything();
  inputs.flag = "31";
  auto result = resolve(inputs);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == Error::Kind::not_installed);
  CHECK(result.error().message() == "toolchain 'wasi-sdk-31' is not installed");
  CHECK(result.error().help.front() == "install it: wasibuild toolchain install 31");
}

TEST_CASE("'system' names the system provider, and fails without one") {
  ResolveInputs inputs = everything();
  inputs.flag = "system";
  CHECK(resolve(inputs).value().toolchain->provider == Provider::system);
  inputs.system.reset();
  CHECK_FALSE(resolve(inputs).ok());
}

TEST_CASE("names that could escape the toolchain directory are rejected") {
  ResolveInputs inputs;
  inputs.flag = "../../etc";
  auto result = resolve(inputs);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == Error::Kind::bad_name);
  CHECK_FALSE(is_valid_name(".."));
  CHECK_FALSE(is_valid_name(".staging-x"));
  CHECK_FALSE(is_valid_name("a/b"));
  CHECK_FALSE(is_valid_name(""));
  CHECK(is_valid_name("wasi-sdk-33"));
  CHECK(is_valid_name("my_sdk.2"));
}
