// Unpacking archives: every escape is refused, nothing lands outside.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "archive_builder.hpp"
#include "process.hpp"
#include "wasibuild/installer.hpp"

using namespace wasibuild::toolchain;
using namespace wasibuild::testing;
namespace fs = std::filesystem;
using Type = ArchiveEntry::Type;

namespace {

struct Sandbox {
  TempDir temp;
  fs::path staging = temp / "deep/staging";
  fs::path archive = temp / "a.tar.gz";
  Sandbox() { fs::create_directories(staging); }

  std::optional<Error> extract(const std::vector<ArchiveEntry>& entries) {
    write_tar_gz(archive, entries);
    return extract_safely(archive, staging);
  }
  // Everything under the temp dir except the staging tree and the archive.
  std::vector<fs::path> outside() const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(temp.path())) {
      const fs::path path = entry.path();
      if (path == archive || path == temp / "deep" || path.string().starts_with(staging.string())) continue;
      found.push_back(path);
    }
    return found;
  }
};

}  // namespace

TEST_CASE("a normal archive unpacks with files, directories and inside symlinks") {
  Sandbox box;
  auto error = box.extract({
      {"sdk/", Type::directory, "", "", 0755},
      {"sdk/bin/", Type::directory, "", "", 0755},
      {"sdk/bin/clang-22", Type::file, "#!/bin/sh\n", "", 0755},
      {"sdk/bin/clang", Type::symlink, "", "clang-22"},
      {"sdk/lib/libc.a", Type::file, "archive", "", 0644},
      {"sdk/share/link-up", Type::symlink, "", "../lib/libc.a"},
      {"sdk/lib/copy.a", Type::hardlink, "", "sdk/lib/libc.a"},
      {"sdk/bin/setuid", Type::file, "x", "", 04755},
  });
  if (error) FAIL(error->message());
  CHECK(read_file(box.staging / "sdk/bin/clang") == "#!/bin/sh\n");
  CHECK(read_file(box.staging / "sdk/share/link-up") == "archive");
  CHECK(read_file(box.staging / "sdk/lib/copy.a") == "archive");
  CHECK(fs::hard_link_count(box.staging / "sdk/lib/libc.a") == 2);
  struct stat info {};
  REQUIRE(::stat((box.staging / "sdk/bin/setuid").c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0755);  // setuid dropped
  CHECK(box.outside().empty());
}

TEST_CASE("escaping or special entries are refused with the entry named") {
  struct Case {
    std::string what;
    ArchiveEntry entry;
    std::string detail;
  };
  const Case cases[] = {
      {"dot-dot", {"../evil.txt", Type::file, "evil"}, "entry '../evil.txt' is absolute or climbs out with '..'"},
      {"nested dot-dot", {"sdk/../../evil.txt", Type::file, "evil"}, "entry 'sdk/../../evil.txt' is absolute"},
      {"absolute", {"/tmp/wasibuild-abs-evil", Type::file, "evil"}, "entry '/tmp/wasibuild-abs-evil' is absolute"},
      {"absolute symlink", {"sdk/bin/clang", Type::symlink, "", "/bin/sh"}, "symlink 'sdk/bin/clang' points outside"},
      {"climbing symlink", {"sdk/up", Type::symlink, "", "../../outside"}, "symlink 'sdk/up' points outside"},
      {"descend then climb", {"sdk/x", Type::symlink, "", "bin/../.."}, "symlink 'sdk/x' points outside"},
      {"hard link out", {"sdk/passwd", Type::hardlink, "", "../../etc/passwd"}, "hard link 'sdk/passwd' points outside"},
      {"absolute hard link", {"sdk/passwd", Type::hardlink, "", "/etc/passwd"}, "hard link 'sdk/passwd' points outside"},
      {"fifo", {"sdk/pipe", Type::fifo}, "entry 'sdk/pipe' is a fifo"},
      {"device", {"sdk/null", Type::char_device}, "entry 'sdk/null' is a character device"},
  };
  for (const Case& test : cases) {
    CAPTURE(test.what);
    Sandbox box;
    auto error = box.extract({{"sdk/", Type::directory, "", "", 0755}, test.entry});
    REQUIRE(error.has_value());
    CHECK(error->kind == Error::Kind::unsafe_archive);
    CAPTURE(error->message());
    CHECK(error->message().find(test.detail) != std::string::npos);
    CHECK(box.outside().empty());
  }
  CHECK_FALSE(fs::exists("/tmp/wasibuild-abs-evil"));
}

TEST_CASE("a symlink to '.' cannot be used to climb out afterwards") {
  // 'q -> .' is inside; 'p -> q/..' would climb from wherever q points.
  Sandbox box;
  auto error = box.extract({{"q", Type::symlink, "", "."}, {"p", Type::symlink, "", "q/.."}});
  REQUIRE(error.has_value());
  CHECK(error->message().find("symlink 'p' points outside") != std::string::npos);
}

TEST_CASE("an entry cannot be written through an earlier symlink") {
  Sandbox box;
  fs::create_directories(box.temp / "outside");
  auto error = box.extract({{"dir", Type::symlink, "", "."}, {"dir/file.txt", Type::file, "x"}});
  // libarchive's SECURE_SYMLINKS refuses it; either way nothing escapes.
  CHECK(error.has_value());
  CHECK(box.outside() == std::vector<fs::path>{box.temp / "outside"});
}

TEST_CASE("corrupt and truncated archives are clear errors") {
  Sandbox box;
  write_file(box.archive, std::string(5000, 'x'));
  auto garbage = extract_safely(box.archive, box.staging);
  REQUIRE(garbage.has_value());
  CHECK(garbage->kind == Error::Kind::bad_archive);
  CHECK(garbage->message().starts_with(box.archive.string() + ": cannot unpack: "));

  write_tar_gz(box.archive, {{"sdk/big", Type::file, std::string(200000, 'z')}});
  const std::string whole = read_file(box.archive);
  write_file(box.archive, whole.substr(0, whole.size() / 2));
  auto truncated = extract_safely(box.archive, box.staging);
  REQUIRE(truncated.has_value());
  CHECK(truncated->kind == Error::Kind::bad_archive);

  auto missing = extract_safely(box.temp / "nope.tar.gz", box.staging);
  REQUIRE(missing.has_value());
  CHECK(missing->kind == Error::Kind::bad_archive);
}
