#include "store_limits.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace wasibuild::runner {

namespace {

constexpr std::uint8_t kTypeSection = 1;
constexpr std::uint8_t kImportSection = 2;
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
    const auto value = leb_of_bits(35);
    if (!value) return std::nullopt;
    return static_cast<std::uint32_t>(*value);
  }

  // An unsigned LEB128 of at most 64 bits (a memory64's limits).
  std::optional<std::uint64_t> leb64() { return leb_of_bits(64); }

  std::optional<std::span<const std::uint8_t>> take(std::size_t count) {
    if (count > bytes_.size()) return std::nullopt;
    auto taken = bytes_.first(count);
    bytes_ = bytes_.subspan(count);
    return taken;
  }

 private:
  std::optional<std::uint64_t> leb_of_bits(unsigned bits) {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < bits; shift += 7) {
      const auto next = byte();
      if (!next) return std::nullopt;
      value |= static_cast<std::uint64_t>(*next & 0x7f) << shift;
      if ((*next & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  std::span<const std::uint8_t> bytes_;
};

// The memory section's entries: limits flags (bit 0 a maximum follows,
// bit 2 memory64, bit 3 a custom page size follows as log2), minimum, maximum.
// Returns the largest minimum in bytes.
std::optional<std::uint64_t> largest_memory_minimum(Reader& section, std::uint32_t count) {
  constexpr unsigned kDefaultPageLog2 = 16;
  std::uint64_t largest = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto flags = section.byte();
    if (!flags) return std::nullopt;
    const bool wide = (*flags & 0x04) != 0;
    const auto limit = [&section, wide]() -> std::optional<std::uint64_t> {
      if (wide) return section.leb64();
      return section.leb();
    };
    const auto minimum = limit();
    if (!minimum) return std::nullopt;
    if ((*flags & 0x01) != 0 && !limit()) return std::nullopt;
    unsigned page_log2 = kDefaultPageLog2;
    if ((*flags & 0x08) != 0) {
      const auto custom = section.leb();
      if (!custom || *custom > kDefaultPageLog2) return std::nullopt;
      page_log2 = *custom;
    }
    const std::uint64_t pages = *minimum;
    const std::uint64_t bytes = pages > (UINT64_MAX >> page_log2) ? UINT64_MAX : pages << page_log2;
    largest = std::max(largest, bytes);
  }
  return largest;
}

// The import section's first import that only a wasi-threads host provides
// ("imports wasi::thread-spawn", or "imports a shared memory": limits flag
// bit 1), or "".
// An entry it cannot read ends the scan quietly: the validator says what is
// wrong with it.
std::string threads_import(Reader section) {
  const auto name = [&section]() -> std::optional<std::string_view> {
    const auto length = section.leb();
    if (!length) return std::nullopt;
    const auto bytes = section.take(*length);
    if (!bytes) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  };
  const auto count = section.leb();
  for (std::uint32_t i = 0; count && i < *count; ++i) {
    const auto module = name();
    const auto field = name();
    const auto kind = section.byte();
    if (!module || !field || !kind) return "";
    switch (*kind) {
      case 0:  // a function: its type index
        if (*module == "wasi" && *field == "thread-spawn") return "imports wasi::thread-spawn";
        if (!section.leb()) return "";
        break;
      case 1: {  // a table: its reference type, then limits
        const auto type = section.byte();
        if (!type || ((*type == kRefNull || *type == kRef) && !section.leb())) return "";
        if (!largest_memory_minimum(section, 1)) return "";
        break;
      }
      case 2: {  // a memory: limits
        Reader peek = section;
        const auto flags = peek.byte();
        if (flags && (*flags & 0x02) != 0) return "imports a shared memory";
        if (!largest_memory_minimum(section, 1)) return "";
        break;
      }
      case 3: {  // a global: its value type and mutability
        const auto type = section.byte();
        if (!type || ((*type == kRefNull || *type == kRef) && !section.leb()) || !section.byte()) return "";
        break;
      }
      case 4:  // a tag: attribute and type index
        if (!section.byte() || !section.leb()) return "";
        break;
      default: return "";
    }
  }
  return "";
}

// Whether one of the memory section's `count` entries is shared (limits
// flag bit 1): clang links one with -pthread unless the memory is imported.
bool defines_shared_memory(Reader section, std::uint32_t count) {
  for (std::uint32_t i = 0; i < count; ++i) {
    Reader peek = section;
    const auto flags = peek.byte();
    if (!flags) return false;
    if ((*flags & 0x02) != 0) return true;
    if (!largest_memory_minimum(section, 1)) return false;
  }
  return false;
}

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
      if (*id == kMemorySection) {
        if (shape.threads_need.empty() && defines_shared_memory(section, *count)) {
          shape.threads_need = "defines a shared memory";
        }
        const auto minimum = largest_memory_minimum(section, *count);
        if (!minimum) return std::nullopt;
        shape.memory_minimum_bytes = *minimum;
      }
    } else if (*id == kImportSection) {
      shape.threads_need = threads_import(section);
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

namespace {

constexpr std::uint8_t kCoreModuleSection = 1;
constexpr std::uint8_t kCoreInstanceSection = 2;
constexpr std::uint8_t kNestedComponentSection = 4;
constexpr std::uint8_t kInstantiate = 0x00;

void add_shape(ModuleShape& total, const ModuleShape& one) {
  total.memories += one.memories;
  total.tables += one.tables;
  total.may_use_gc_heap = total.may_use_gc_heap || one.may_use_gc_heap;
  total.memory_minimum_bytes = std::max(total.memory_minimum_bytes, one.memory_minimum_bytes);
}

// The module indices a core instance section instantiates; nullopt if malformed.
std::optional<std::vector<std::uint32_t>> instantiated_modules(Reader section) {
  std::vector<std::uint32_t> modules;
  const auto count = section.leb();
  if (!count) return std::nullopt;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto kind = section.byte();
    if (!kind) return std::nullopt;
    if (*kind == kInstantiate) {
      const auto module = section.leb();
      if (!module) return std::nullopt;
      modules.push_back(*module);
    }
    // Both kinds end in a vector of (name, one byte, index): arguments of
    // an instantiation, or the exports an instance is made of.
    const auto items = section.leb();
    for (std::uint32_t item = 0; items && item < *items; ++item) {
      const auto length = section.leb();
      if (!length || !section.take(*length) || !section.byte() || !section.leb()) return std::nullopt;
    }
    if (!items) return std::nullopt;
  }
  return modules;
}

}  // namespace

namespace {

// Components nest; a guest's file must not turn the count into deep
// recursion on the host's stack. Toolchains nest none or one.
constexpr int kMaxComponentNesting = 16;

std::optional<ComponentShape> nested_component_shape(std::span<const std::uint8_t> binary, int depth);

}  // namespace

std::optional<ComponentShape> component_shape(std::span<const std::uint8_t> binary) {
  return nested_component_shape(binary, 0);
}

namespace {

std::optional<ComponentShape> nested_component_shape(std::span<const std::uint8_t> binary, int depth) {
  if (depth > kMaxComponentNesting) return std::nullopt;
  constexpr std::uint8_t kHeader[] = {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00};
  if (binary.size() < sizeof(kHeader) || !std::equal(std::begin(kHeader), std::end(kHeader), binary.begin())) {
    return std::nullopt;
  }
  Reader reader(binary.subspan(sizeof(kHeader)));
  std::vector<ModuleShape> modules;
  ComponentShape shape;
  while (!reader.done()) {
    const auto id = reader.byte();
    const auto size = reader.leb();
    if (!id || !size) return std::nullopt;
    const auto content = reader.take(*size);
    if (!content) return std::nullopt;
    if (*id == kCoreModuleSection) {
      const auto module = module_shape(*content);
      if (!module) return std::nullopt;
      modules.push_back(*module);
    } else if (*id == kCoreInstanceSection) {
      const auto instantiated = instantiated_modules(Reader(*content));
      if (!instantiated) return std::nullopt;
      for (const std::uint32_t index : *instantiated) {
        // An imported or aliased module is not one of ours: unknown.
        if (index >= modules.size()) return std::nullopt;
        add_shape(shape.total, modules[index]);
        ++shape.instances;
      }
    } else if (*id == kNestedComponentSection) {
      const auto nested = nested_component_shape(*content, depth + 1);
      if (!nested) return std::nullopt;
      add_shape(shape.total, nested->total);
      shape.instances += nested->instances;
    }
  }
  return shape;
}

}  // namespace

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

std::uint64_t smallest_budget_for(const ModuleShape& shape) {
  const auto enough = [&shape](std::uint64_t budget) {
    return store_limits(shape, budget).memory_bytes >= at_most(shape.memory_minimum_bytes);
  };
  std::uint64_t low = 0;
  std::uint64_t high = 1;
  while (!enough(high) && high < (UINT64_MAX >> 1)) high <<= 1;
  while (low + 1 < high) {  // enough(high), and not enough(low) unless low is 0
    const std::uint64_t middle = low + (high - low) / 2;
    (enough(middle) ? high : low) = middle;
  }
  return enough(low) ? low : high;
}

}  // namespace wasibuild::runner
