// Helper tools beside the toolchains: the pinned release and the metadata
// of an installed one.
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

const ToolRelease& binaryen_release() {
  // npm's binaryen: binaryen compiled to wasm, run by node. Version 132 is
  // the one the setjmp tests use; the hash is of the registry's tarball
  // (whose SHA-512 npm's own metadata lists as its integrity).
  static const ToolRelease release{
      "binaryen",
      "132.0.0",
      "/binaryen/-/binaryen-132.0.0.tgz",
      "6543555fb29bb92548f325c7dc18e9ab7dbb1215edda25993d1e3f71d85b8618",
      "package",
      "bin/wasm-opt",
  };
  return release;
}

std::string tool_to_toml(const InstalledTool& tool) {
  const fs::path relative = tool.program.lexically_relative(tool.root);
  toml::table table{{"name", tool.name},     {"version", tool.version}, {"program", relative.generic_string()},
                    {"source", tool.source}, {"sha256", tool.sha256}};
  std::ostringstream out;
  out << "# Written by wasibuild when this tool was installed. Do not edit.\n" << table << "\n";
  return out.str();
}

Result<InstalledTool> load_tool(const fs::path& tools_dir, const std::string& name) {
  if (!is_valid_name(name)) return Error{Error::Kind::bad_name, name};
  const fs::path file = tools_dir / name / kToolMetadataFile;
  std::ifstream in(file);
  if (!in) return Error{Error::Kind::not_installed, name};
  std::stringstream text;
  text << in.rdbuf();
  toml::table table;
  try {
    table = toml::parse(text.str(), std::string_view(file.string()));
  } catch (const toml::parse_error& error) {
    return Error{Error::Kind::invalid_metadata, file.string(),
                 fmt::format("line {}, column {}: {}", error.source().begin.line, error.source().begin.column,
                             error.description())};
  }
  InstalledTool tool;
  tool.root = file.parent_path();
  tool.name = table["name"].value_or(std::string());
  tool.version = table["version"].value_or(std::string());
  const fs::path program = table["program"].value_or(std::string());
  if (tool.name != name || program.empty() || program.is_absolute() ||
      (program.begin() != program.end() && *program.begin() == "..")) {
    return Error{Error::Kind::invalid_metadata, file.string(), "missing or wrong 'name' or 'program'"};
  }
  tool.program = tool.root / program;
  tool.source = table["source"].value_or(std::string());
  tool.sha256 = table["sha256"].value_or(std::string());
  return tool;
}

}  // namespace wasibuild::toolchain
