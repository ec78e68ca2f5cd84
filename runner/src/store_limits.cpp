#include "store_limits.hpp"

#include <algorithm>

namespace wasibuild::runner {

namespace {

constexpr std::uint8_t kTypeSection = 1;
constexpr std::uint8_t kTableSection = 4;
constexpr std::uint8_t kMemorySection = 5;
constexpr std::uint8_t kTagSection = 13;
constexpr std::uint8_t kFunctionType = 0x60;
constexpr std::uint8_t kRefNull = 0x63;
constexpr std::uint8_t kRef = 0x64;

// A bounds-checked cursor over the bytes of a binary.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] bool done() const { return bytes_.empty(); }

  std::optional<std::uint8_t> byte() {
    if (bytes_.empty()) return std::nullopt;
    const std::uint8_t value = bytes_.front();
    bytes_ = bytes_.subspan(1);
    return value;
  }

  // An unsigned LEB128 of at most 32 bits; also skips a signed one (s33).
  std::optional<std::uint32_t> leb() {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
      const auto next = byte();
      if (!next) return std::nullopt;
      value |= static_cast<std::uint64_t>(*next & 0x7f) << shift;
      if ((*next & 0x80) == 0) return static_cast<std::uint32_t>(value);
    }
    return std::nullopt;
  }

  std::optional<std::span<const std::uint8_t>> take(std::size_t count) {
    if (count > bytes_.size()) return std::nullopt;
    auto taken = bytes_.first(count);
    bytes_ = bytes_.subspan(count);
    return taken;
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

bool skip_value_types(Reader& reader) {
  const auto count = reader.leb();
  if (!count) return false;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto type = reader.byte();
    if (!type) return false;
    if ((*type == kRefNull || *type == kRef) && !reader.leb()) return false;
  }
  return true;
}

// True when the type section defines anything but plain function types
// (structs, arrays, recursion groups, subtypes): GC objects may follow.
std::optional<bool> defines_gc_types(std::span<const std::uint8_t> section) {
  Reader reader(section);
  const auto count = reader.leb();
  if (!count) return std::nullopt;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto form = reader.byte();
    if (!form) return std::nullopt;
    if (*form != kFunctionType) return true;
    if (!skip_value_types(reader) || !skip_value_types(reader)) return std::nullopt;
  }
  return false;
}

std::int64_t at_most(std::uint64_t value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, INT64_MAX));
}

}  // namespace

std::optional<ModuleShape> module_shape(std::span<const std::uint8_t> binary) {
  constexpr std::uint8_t kHeader[] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  if (binary.size() < sizeof(kHeader) || !std::equal(std::begin(kHeader), std::end(kHeader), binary.begin())) {
    return std::nullopt;
  }
  Reader reader(binary.subspan(sizeof(kHeader)));
  ModuleShape shape;
  while (!reader.done()) {
    const auto id = reader.byte();
    const auto size = reader.leb();
    if (!id || !size) return std::nullopt;
    const auto content = reader.take(*size);
    if (!content) return std::nullopt;
    Reader section(*content);
    if (*id == kTableSection || *id == kMemorySection) {
      const auto count = section.leb();
      if (!count) return std::nullopt;
      (*id == kTableSection ? shape.tables : shape.memories) = *count;
    } else if (*id == kTagSection) {
      shape.may_use_gc_heap = true;
    } else if (*id == kTypeSection) {
      const auto gc = defines_gc_types(*content);
      if (!gc) return std::nullopt;
      shape.may_use_gc_heap = shape.may_use_gc_heap || *gc;
    }
  }
  return shape;
}

StoreLimits store_limits(const std::optional<ModuleShape>& known, std::optional<std::uint64_t> max_memory_bytes) {
  StoreLimits limits;
  limits.instances = 1;
  if (!max_memory_bytes) {
    // Unlimited memory, but no more memories or tables than the module has.
    limits.memories = known ? known->memories : kMaxUnknownCount;
    limits.tables = known ? known->tables : kMaxUnknownCount;
    return limits;
  }
  const ModuleShape shape = known.value_or(ModuleShape{.memories = 1, .tables = 1, .may_use_gc_heap = true});
  limits.memories = shape.memories;
  limits.tables = shape.tables;
  const std::uint64_t budget = *max_memory_bytes;
  const std::uint64_t memory_shares = std::uint64_t{shape.memories} + (shape.may_use_gc_heap ? 1 : 0);
  std::uint64_t table_budget = 0;
  if (shape.tables > 0) table_budget = memory_shares == 0 ? budget : budget / 8;
  limits.table_elements =
      shape.tables > 0 ? at_most(table_budget / (std::uint64_t{shape.tables} * kTableElementBytes)) : 0;
  limits.memory_bytes = memory_shares > 0 ? at_most((budget - table_budget) / memory_shares) : 0;
  return limits;
}

}  // namespace wasibuild::runner
