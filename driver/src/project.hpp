// The project library (project/) as the driver's commands use it: its
// types under the driver's names, and the project of an Env.
#pragma once

#include "wasibuild/driver.hpp"
#include "wasibuild/project.hpp"

namespace wasibuild::driver {

using project::choose_profile;
using project::find_project_file;
using project::kDefaultWasmOptLevel;
using project::kProjectFile;
using project::parse_project;
using project::Profile;
using project::Project;
using project::ProjectSearch;
using project::read_project;
using project::test_grants;
using project::wasm_opt_levels;

// The project of the working directory; warns on env.err about each
// wasibuild.toml passed over (project::load_project).
[[nodiscard]] Project load_project(const Env& env);

}  // namespace wasibuild::driver
