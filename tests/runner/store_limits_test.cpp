// How --max-memory is split over what a module defines.
#include <doctest/doctest.h>

#include <vector>

#include "store_limits.hpp"

using namespace wasibuild::runner;

namespace {

// A module header followed by SECTIONS, each {id, content}.
std::vector<std::uint8_t> binary(const std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>& sections) {
  std::vector<std::uint8_t> bytes = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  for (const auto& [id, content] : sections) {
    bytes.push_back(id);
    bytes.push_back(static_cast<std::uint8_t>(content.size()));  // < 128 here
    bytes.insert(bytes.end(), content.begin(), content.end());
  }
  return bytes;
}

constexpr std::uint64_t kMiB = 1 << 20;

}  // namespace

TEST_CASE("a module's memories, tables and use of the GC heap are read from its sections") {
  // Types: one (func (param i32 (ref null 0)) (result i64)); a custom section;
  // 2 tables; 3 memories.
  const auto plain = binary({{1, {0x01, 0x60, 0x02, 0x7f, 0x63, 0x00, 0x01, 0x7e}},
                             {0, {0x01, 'n', 0xff, 0xff}},
                             {4, {0x02, 0x70, 0x00, 0x01, 0x70, 0x00, 0x01}},
                             {5, {0x03, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01}}});
  const auto shape = module_shape(plain);
  REQUIRE(shape.has_value());
  CHECK(shape->memories == 3);
  CHECK(shape->tables == 2);
  CHECK_FALSE(shape->may_use_gc_heap);

  CHECK(module_shape(binary({{13, {0x00}}}))->may_use_gc_heap);                     // a tag section
  CHECK(module_shape(binary({{1, {0x01, 0x5f, 0x00}}}))->may_use_gc_heap);          // a struct type
  CHECK_FALSE(module_shape(binary({{5, {0x05}}, {1, {0x02, 0x60}}})).has_value());  // truncated
  CHECK_FALSE(module_shape(std::vector<std::uint8_t>{0x00, 'a', 's', 'm'}).has_value());
}

TEST_CASE("the budget is split so that the caps add up to at most --max-memory") {
  const auto c_module = store_limits(ModuleShape{.memories = 1, .tables = 1}, 64 * kMiB);
  CHECK(c_module.memory_bytes == 56 * kMiB);
  CHECK(c_module.table_elements == 8 * kMiB / kTableElementBytes);
  CHECK(c_module.instances == 1);
  CHECK(c_module.memories == 1);
  CHECK(c_module.tables == 1);

  const auto many = store_limits(ModuleShape{.memories = 100, .tables = 4, .may_use_gc_heap = true}, 64 * kMiB);
  CHECK(many.memories == 100);
  CHECK(many.tables == 4);
  const auto total = static_cast<std::uint64_t>(many.memory_bytes) * 101 +
                     static_cast<std::uint64_t>(many.table_elements) * 4 * kTableElementBytes;
  CHECK(total <= 64 * kMiB);

  const auto tables_only = store_limits(ModuleShape{.memories = 0, .tables = 2}, 64 * kMiB);
  CHECK(tables_only.table_elements == 32 * kMiB / kTableElementBytes);

  // A .cwasm: one memory, one table and the GC heap assumed, and enforced.
  const auto precompiled = store_limits(std::nullopt, 64 * kMiB);
  CHECK(precompiled.memories == 1);
  CHECK(precompiled.tables == 1);
  CHECK(precompiled.memory_bytes == 28 * kMiB);
}

TEST_CASE("without --max-memory only the counts are bounded") {
  const auto known = store_limits(ModuleShape{.memories = 1, .tables = 1}, std::nullopt);
  CHECK(known.memory_bytes == -1);
  CHECK(known.table_elements == -1);
  CHECK(known.instances == 1);
  CHECK(known.memories == 1);
  CHECK(known.tables == 1);
  const auto unknown = store_limits(std::nullopt, std::nullopt);
  CHECK(unknown.memories == kMaxUnknownCount);
  CHECK(unknown.tables == kMaxUnknownCount);
}

TEST_CASE("the largest declared memory minimum is read, for 32- and 64-bit memories and custom page sizes") {
  // (memory 3) (memory 129 200): the largest is 129 pages of 64 KiB.
  CHECK(module_shape(binary({{5, {0x02, 0x00, 0x03, 0x01, 0x81, 0x01, 0xc8, 0x01}}}))->memory_minimum_bytes ==
        129 * 65536);
  // A memory64 whose minimum needs more than 32 bits of LEB: 2^33 pages.
  CHECK(module_shape(binary({{5, {0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x20}}}))->memory_minimum_bytes ==
        (std::uint64_t{1} << 33) * 65536);
  // Custom page size 1 byte (log2 0): 300 pages are 300 bytes.
  CHECK(module_shape(binary({{5, {0x01, 0x08, 0xac, 0x02, 0x00}}}))->memory_minimum_bytes == 300);
  CHECK(module_shape(binary({{5, {0x01, 0x08, 0xac, 0x02, 0x11}}})) == std::nullopt);  // page larger than 64 KiB
  CHECK(module_shape(binary({{5, {0x01, 0x01, 0x05}}})) == std::nullopt);  // a maximum announced, missing
}

TEST_CASE("the smallest budget for a module's declared memory is exactly enough") {
  for (const ModuleShape& shape : {ModuleShape{.memories = 1, .tables = 1, .memory_minimum_bytes = 129 * 65536},
                                   ModuleShape{.memories = 2, .tables = 3, .may_use_gc_heap = true,
                                               .memory_minimum_bytes = 17 * kMiB},
                                   ModuleShape{.memories = 1, .tables = 0, .memory_minimum_bytes = 1}}) {
    const std::uint64_t budget = smallest_budget_for(shape);
    CHECK(store_limits(shape, budget).memory_bytes >= static_cast<std::int64_t>(shape.memory_minimum_bytes));
    CHECK(store_limits(shape, budget - 1).memory_bytes < static_cast<std::int64_t>(shape.memory_minimum_bytes));
  }
}

TEST_CASE("a component's core instances are counted with the modules each instantiates") {
  // One core module: 1 table, 1 memory.
  const auto module = binary({{4, {0x01, 0x70, 0x00, 0x01}}, {5, {0x01, 0x00, 0x02}}});
  std::vector<std::uint8_t> component = {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00};
  const auto section = [&component](std::uint8_t id, const std::vector<std::uint8_t>& content) {
    component.push_back(id);
    component.push_back(static_cast<std::uint8_t>(content.size()));
    component.insert(component.end(), content.begin(), content.end());
  };
  section(1, module);
  // Core instances: instantiate module 0 twice (the second with one
  // argument, "a" = instance 0), and one instance made of exports.
  section(2, {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 'a', 0x12, 0x00, 0x01, 0x01, 0x01, 'm', 0x02, 0x00});
  const auto shape = component_shape(component);
  REQUIRE(shape.has_value());
  CHECK(shape->instances == 2);
  CHECK(shape->total.memories == 2);
  CHECK(shape->total.tables == 2);
  CHECK(shape->total.memory_minimum_bytes == 2 * 65536);

  // An instantiation of a module it does not define, a cut section, a core module header: unknown.
  std::vector<std::uint8_t> foreign = {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00, 0x02, 0x04, 0x01, 0x00, 0x05, 0x00};
  CHECK_FALSE(component_shape(foreign).has_value());
  CHECK_FALSE(component_shape(std::vector<std::uint8_t>(component.begin(), component.end() - 3)).has_value());
  CHECK_FALSE(component_shape(module).has_value());
}
