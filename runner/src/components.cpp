#include "components.hpp"

#include <algorithm>

#include "messages.hpp"

namespace wasibuild::runner {

namespace {

// The interface every WASI 0.2 command exports; its version is the minor
// release of WASI the toolchain targets (0.2.0 ... 0.2.x).
constexpr std::string_view kRunInterface = "wasi:cli/run@0.2.";

std::optional<std::string> run_interface_name(wasmtime::Engine& engine, const wasmtime::component::Component& component) {
  const auto type = component.type();
  const std::size_t count = type.export_count(engine);
  for (std::size_t i = 0; i < count; ++i) {
    const auto item = type.export_nth(engine, i);
    if (item && item->first.starts_with(kRunInterface)) return std::string(item->first);
  }
  return std::nullopt;
}

}  // namespace

bool is_component(std::span<const std::uint8_t> bytes) {
  constexpr std::uint8_t kHeader[] = {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00};
  return bytes.size() >= sizeof(kHeader) && std::equal(std::begin(kHeader), std::end(kHeader), bytes.begin());
}

ComponentRun run_command_component(wasmtime::Engine& engine, wasmtime::Store& store,
                                   const wasmtime::component::Component& component) {
  const auto interface_name = run_interface_name(engine, component);
  if (!interface_name) {
    const auto type = component.type();
    for (std::size_t i = 0; i < type.export_count(engine); ++i) {
      const auto item = type.export_nth(engine, i);
      if (item && item->first.starts_with("wasi:cli/run@0.3.")) return NotRun{"it exports " + std::string(item->first)};
    }
    return NotRun{"it exports no wasi:cli/run interface", true};
  }
  const auto interface_index = component.export_index(nullptr, *interface_name);
  const auto run_index = interface_index ? component.export_index(&*interface_index, "run") : std::nullopt;
  if (!run_index) return NotRun{"its wasi:cli/run interface has no `run` function", true};

  wasmtime::component::Linker linker(engine);
  if (auto added = linker.add_wasip2(); !added) return NotRun{one_line(added.err().message())};
  auto instance = linker.instantiate(store.context(), component);
  if (!instance) {
    // A core start function (run during instantiation) may trap or exit.
    wasmtime::Error error = instance.err();
    if (error.i32_exit() || split_trap_message(error.message()).first.starts_with("wasm trap")) {
      return RunFailed{std::move(error)};
    }
    return NotRun{one_line(error.message())};
  }
  auto run = instance.ok().get_func(store.context(), *run_index);
  if (!run) return NotRun{"its wasi:cli/run interface has no `run` function", true};

  wasmtime::component::Val result(false);
  auto called = run->call(store.context(), {}, wasmtime::Span<wasmtime::component::Val>(&result, 1));
  if (!called) return RunFailed{std::move(called.err())};
  (void)run->post_return(store.context());
  return RunReturned{result.is_result() && result.get_result().is_ok()};
}

}  // namespace wasibuild::runner
