#include "engine_functions.hpp"

#include <fmt/format.h>

namespace wasibuild::runner {

namespace {


// (FuncType's accessors are not const, hence the mutable reference.)
std::string trampoline_text(std::vector<std::pair<std::string_view, wasmtime::FuncType>>& functions) {
  auto kinds = [](wasmtime::ValType::ListRef types) {
    std::string text;
    for (const auto& type : types) text += type == wasmtime::ValType::i64() ? " i64" : " i32";
    return text;
  };
  std::string text = "(module (import \"env\" \"memory\" (memory 0)) (export \"memory\" (memory 0))\n";
  for (auto& [name, type] : functions) {
    text += fmt::format("(import \"wasi\" \"{0}\" (func ${0} (param{1}) (result{2})))\n", name, kinds(type->params()),
                        kinds(type->results()));
  }
  for (auto& [name, type] : functions) {
    std::string body;
    for (std::size_t i = 0; i < type->params().size(); ++i) body += fmt::format(" (local.get {})", i);
    text += fmt::format("(func (export \"{0}\") (param{1}) (result{2}){3} (call ${0}))\n", name,
                        kinds(type->params()), kinds(type->results()), body);
  }
  return text + ")";
}

}  // namespace

bool EngineFunctions::take(wasmtime::Linker& linker, wasmtime::Store& store, std::string_view name) {
  for (const auto& taken : types_) {
    if (taken.first == name) return true;
  }
  auto item = linker.get(store.context(), kPreview1, name);
  auto* func = item ? std::get_if<wasmtime::Func>(&*item) : nullptr;
  if (func == nullptr) return false;
  functions_.emplace_back(*func);
  types_.emplace_back(name, func->type(store.context()));
  return true;
}

std::optional<std::string> EngineFunctions::connect(wasmtime::Caller& caller) {
  auto exported = caller.get_export("memory");
  if (!exported || !std::holds_alternative<wasmtime::Memory>(*exported)) return "the module exports no memory";
  auto trampoline = compile_(trampoline_text(types_));
  if (!trampoline) return "cannot compile its trampoline: " + trampoline.err().message();
  std::vector<wasmtime::Extern> imports = {*exported};
  imports.insert(imports.end(), functions_.begin(), functions_.end());
  auto instance = wasmtime::Instance::create(caller.context(), trampoline.ok(), imports);
  if (!instance) return instance.err().message();
  for (const auto& taken : types_) {
    auto item = instance.ok().get(caller.context(), taken.first);
    engine_.emplace(taken.first, std::get<wasmtime::Func>(*item));
  }
  return std::nullopt;
}

wasmtime::Result<std::int32_t, wasmtime::Trap> EngineFunctions::call(wasmtime::Caller& caller, std::string_view name,
                                                                    const std::vector<wasmtime::Val>& arguments) {
  if (engine_.empty()) {
    if (auto error = connect(caller)) return wasmtime::Trap("wasibuild runner: " + *error);
  }
  auto result = engine_.at(name).call(caller.context(), arguments);
  if (!result) return wasmtime::Trap(result.err().message());
  return result.ok().front().i32();
}

}  // namespace wasibuild::runner
