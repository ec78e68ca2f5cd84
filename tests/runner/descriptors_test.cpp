// The descriptor table behind dup()/dup2() (runner/src/descriptors.hpp),
// against a model of Wasmtime's descriptor table: a set of open engine
// descriptors that opens the lowest free number, as Wasmtime does. The
// guest's side, run by the real runner, is in tests/project/posix_gap_test.cpp.
#include <doctest/doctest.h>

#include <set>

#include "descriptors.hpp"

using namespace wasibuild::runner;

namespace {

struct Engine {
  std::set<EngineFd> open = {0, 1, 2, 3};  // stdio and one preopened directory

  DescriptorTable::EngineHasOpen has_open() const {
    return [this](EngineFd fd) { return open.contains(fd); };
  }
  EngineFd open_lowest() {
    EngineFd fd = 0;
    while (open.contains(fd)) ++fd;
    open.insert(fd);
    return fd;
  }
};

// close() as the runner does it: the engine descriptor closes with its
// last guest number.
void close_guest(DescriptorTable& table, Engine& engine, GuestFd guest) {
  if (auto last = table.release(guest)) engine.open.erase(*last);
}

// dup2() as the runner does it.
void duplicate_onto(DescriptorTable& table, Engine& engine, GuestFd guest, GuestFd target) {
  REQUIRE(table.is_open(guest, engine.has_open()));
  const Target shared = *table.target(guest);
  if (guest == target) return;
  close_guest(table, engine, target);
  table.bind(target, shared);
}

}  // namespace

TEST_CASE("until something is duplicated the guest's numbers are Wasmtime's") {
  DescriptorTable table;
  CHECK(table.is_identity());
  CHECK(table.engine_fd(7) == 7u);  // not open: Wasmtime itself answers EBADF
  Engine engine;
  GuestFd adopted = 99;
  CHECK(table.adopt(4, engine.has_open(), adopted) == kWasiSuccess);
  CHECK(adopted == 4);
  CHECK(table.release(4) == 4u);
  CHECK(table.is_identity());
}

TEST_CASE("dup() takes the lowest free number and shares the descriptor until the last copy closes") {
  DescriptorTable table;
  Engine engine;
  GuestFd copy = 0;
  REQUIRE(table.duplicate(1, engine.has_open(), copy) == kWasiSuccess);
  CHECK(copy == 4);
  CHECK(table.engine_fd(4) == 1u);
  CHECK_FALSE(table.release(1).has_value());  // the copy keeps it open
  CHECK_FALSE(table.engine_fd(1).has_value());  // but 1 itself is closed
  CHECK_FALSE(table.is_open(1, engine.has_open()));
  // The next dup() reuses 1: closed for the guest, though still open in the engine.
  GuestFd again = 0;
  REQUIRE(table.duplicate(4, engine.has_open(), again) == kWasiSuccess);
  CHECK(again == 1);
  CHECK(table.engine_fd(1) == 1u);
  CHECK_FALSE(table.release(4).has_value());
  CHECK(table.release(1) == 1u);  // the last one: Wasmtime closes it
  CHECK(table.is_identity());
}

TEST_CASE("dup() of a closed descriptor is EBADF, and the limit gives EMFILE") {
  DescriptorTable table;
  Engine engine;
  GuestFd copy = 0;
  CHECK(table.duplicate(9, engine.has_open(), copy) == kWasiBadDescriptor);
  int made = 0;
  while (table.duplicate(2, engine.has_open(), copy) == kWasiSuccess) ++made;
  CHECK(made == static_cast<int>(kDescriptorLimit) - 4);
  CHECK(table.duplicate(2, engine.has_open(), copy) == kWasiTooManyFiles);
}

TEST_CASE("redirecting stdout to a file and back, as googletest's CaptureStdout does") {
  DescriptorTable table;
  Engine engine;
  GuestFd saved = 0;
  REQUIRE(table.duplicate(1, engine.has_open(), saved) == kWasiSuccess);  // dup(1)
  // mkstemp: Wasmtime opens its 4, which the guest already uses for the copy.
  const EngineFd file = engine.open_lowest();
  GuestFd file_guest = 0;
  REQUIRE(table.adopt(file, engine.has_open(), file_guest) == kWasiSuccess);
  CHECK(saved == 4);
  CHECK(file == 4);
  CHECK(file_guest == 5);
  CHECK(table.engine_fd(4) == 1u);
  duplicate_onto(table, engine, file_guest, 1);  // dup2(file, 1): engine 1 stays open for the copy
  CHECK(engine.open.contains(1));
  CHECK(table.engine_fd(1) == 4u);
  close_guest(table, engine, file_guest);  // close(file): 1 still writes to it
  CHECK(engine.open.contains(4));
  duplicate_onto(table, engine, saved, 1);  // dup2(saved, 1): the file closes
  CHECK_FALSE(engine.open.contains(4));
  CHECK(table.engine_fd(1) == 1u);
  close_guest(table, engine, saved);
  CHECK(engine.open == std::set<EngineFd>{0, 1, 2, 3});
  CHECK(table.is_identity());
}

TEST_CASE("a descriptor Wasmtime opens at a number the guest uses for a copy gets another number") {
  DescriptorTable table;
  Engine engine;
  duplicate_onto(table, engine, 2, 4);  // dup2(2, 4): guest 4 names engine 2
  const EngineFd opened = engine.open_lowest();
  CHECK(opened == 4);
  GuestFd guest = 0;
  REQUIRE(table.adopt(opened, engine.has_open(), guest) == kWasiSuccess);
  CHECK(guest == 5);
  CHECK(table.engine_fd(4) == 2u);
  CHECK(table.engine_fd(5) == 4u);
  close_guest(table, engine, 4);  // engine 2 stays open: guest 2
  CHECK(engine.open.contains(2));
  CHECK_FALSE(table.engine_fd(4).has_value());  // engine 4 is only reachable as guest 5
  close_guest(table, engine, 5);
  CHECK(engine.open == std::set<EngineFd>{0, 1, 2, 3});
  CHECK(table.is_identity());
}

TEST_CASE("dup2() over an open descriptor closes it; onto itself it does nothing") {
  DescriptorTable table;
  Engine engine;
  const EngineFd file = engine.open_lowest();
  duplicate_onto(table, engine, 1, file);
  CHECK_FALSE(engine.open.contains(file));
  CHECK(table.engine_fd(file) == 1u);
  duplicate_onto(table, engine, 2, 2);
  CHECK(table.engine_fd(2) == 2u);
  close_guest(table, engine, file);
  CHECK(engine.open.contains(1));
  CHECK(table.is_identity());
}

TEST_CASE("a pipe takes the two lowest free numbers and counts its ends across duplicates") {
  DescriptorTable table;
  Engine engine;
  GuestFd read_end = 0, write_end = 0;
  REQUIRE(table.open_pipe(engine.has_open(), read_end, write_end) == kWasiSuccess);
  CHECK(read_end == 4);
  CHECK(write_end == 5);
  const std::weak_ptr<PipeEnd> reader = table.pipe_end(read_end);
  REQUIRE_FALSE(reader.expired());
  Pipe& pipe = reader.lock()->pipe();  // alive while an end is
  CHECK_FALSE(reader.lock()->writes());
  CHECK_FALSE(table.engine_fd(read_end).has_value());
  CHECK(pipe.readers == 1);
  CHECK(pipe.writers == 1);
  GuestFd copy = 0;
  REQUIRE(table.duplicate(write_end, engine.has_open(), copy) == kWasiSuccess);
  CHECK(copy == 6);
  CHECK(table.pipe_end(copy) == table.pipe_end(write_end));  // one open end, shared
  CHECK(pipe.writers == 1);
  CHECK_FALSE(table.release(write_end).has_value());  // a pipe end never closes an engine descriptor
  CHECK(pipe.writers == 1);                           // the copy still writes
  CHECK_FALSE(table.release(copy).has_value());
  CHECK(pipe.writers == 0);  // end of file for the reader
  // Wasmtime opens its 4, which the read end uses: it gets another number.
  const EngineFd opened = engine.open_lowest();
  GuestFd guest = 0;
  REQUIRE(table.adopt(opened, engine.has_open(), guest) == kWasiSuccess);
  CHECK(opened == 4);
  CHECK(guest == 5);
  CHECK_FALSE(table.release(read_end).has_value());
  CHECK(reader.expired());  // its last number closed it
  close_guest(table, engine, guest);
  CHECK(engine.open == std::set<EngineFd>{0, 1, 2, 3});
  CHECK(table.is_identity());
}

TEST_CASE("dup2() of a pipe's write end onto stdout keeps the engine's stdout for a saved copy") {
  DescriptorTable table;
  Engine engine;
  GuestFd saved = 0, read_end = 0, write_end = 0;
  REQUIRE(table.duplicate(1, engine.has_open(), saved) == kWasiSuccess);
  REQUIRE(table.open_pipe(engine.has_open(), read_end, write_end) == kWasiSuccess);
  duplicate_onto(table, engine, write_end, 1);
  CHECK(engine.open.contains(1));
  CHECK(table.pipe_end(1) == table.pipe_end(write_end));
  close_guest(table, engine, write_end);
  duplicate_onto(table, engine, saved, 1);
  CHECK(table.engine_fd(1) == 1u);
  CHECK(table.pipe_end(read_end)->pipe().writers == 0);
}

TEST_CASE("all pipes of a module together hold at most 1 MiB of the runner's memory") {
  DescriptorTable table;
  Engine engine;
  std::vector<std::shared_ptr<PipeEnd>> writers;
  for (int i = 0; i < 20; ++i) {
    GuestFd read_end = 0, write_end = 0;
    REQUIRE(table.open_pipe(engine.has_open(), read_end, write_end) == kWasiSuccess);
    writers.push_back(table.pipe_end(write_end));
  }
  std::size_t buffered = 0;
  for (const auto& end : writers) {
    Pipe& pipe = end->pipe();
    const std::size_t n = pipe.room();
    pipe.buffer.resize(n);
    *pipe.all_buffered += n;
    buffered += n;
  }
  CHECK(buffered == Pipe::kAllPipesCapacity);  // 16 full pipes, then none has room
  CHECK(writers.back()->pipe().room() == 0);
  CHECK(writers.front()->pipe().room() == 0);
}
