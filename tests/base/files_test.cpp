// The file layer host steps use where a guest may have been first: real
// directories with real links planted in them.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "process.hpp"
#include "wasibuild/files.hpp"

using namespace wasibuild;
using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

struct Tree {
  TempDir dir;
  fs::path inside = dir / "inside";
  fs::path outside = dir / "outside";
  Tree() {
    fs::create_directories(inside / "sub");
    fs::create_directories(outside);
    write_file(outside / "secret", "secret\n");
    write_file(inside / "sub/plain", "plain\n");
  }
};

std::string problem_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const base::FileError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("open_beneath follows no link, in any component, and never leaves its directory") {
  Tree tree;
  fs::create_directory_symlink("../outside", tree.inside / "to-outside");
  fs::create_symlink("../../outside/secret", tree.inside / "sub/link");
  const base::Fd root = base::open_directory(tree.inside);

  const base::Fd plain = base::open_beneath(root.get(), "sub/plain", O_RDONLY, "plain");
  CHECK(base::read_all(plain.get(), "plain") == "plain\n");
  CHECK(problem_of([&] { (void)base::open_beneath(root.get(), "to-outside/secret", O_RDONLY, "x"); }) ==
        "x: a symbolic link where a file or directory was expected");
  CHECK(problem_of([&] { (void)base::open_beneath(root.get(), "sub/link", O_RDONLY, "y"); }) ==
        "y: a symbolic link where a file or directory was expected");
  CHECK(problem_of([&] { (void)base::open_beneath(root.get(), "../outside/secret", O_RDONLY, "z"); }) ==
        "z: the path leaves its directory");
  CHECK_FALSE(base::open_beneath(root.get(), "sub/missing", O_RDONLY, "m", true));
}

TEST_CASE("replace_file_at replaces a planted link instead of writing through it") {
  Tree tree;
  fs::create_symlink("../outside/secret", tree.inside / "stamp");
  const base::Fd root = base::open_directory(tree.inside);
  base::replace_file_at(root.get(), "stamp", "mine\n", 0644, "stamp");
  CHECK_FALSE(fs::is_symlink(tree.inside / "stamp"));
  CHECK(read_file(tree.inside / "stamp") == "mine\n");
  CHECK(read_file(tree.outside / "secret") == "secret\n");
  CHECK((fs::status(tree.outside / "secret").permissions() & fs::perms::others_read) != fs::perms::none);
}

TEST_CASE("read_file_at refuses a link; create_new_file_at refuses even a dangling one") {
  Tree tree;
  fs::create_symlink("../outside/secret", tree.inside / "link");
  fs::create_symlink("../outside/created", tree.inside / "dangling");
  const base::Fd root = base::open_directory(tree.inside);
  CHECK(problem_of([&] { (void)base::read_file_at(root.get(), "link", "link"); }) ==
        "link: a symbolic link where a file or directory was expected");
  CHECK_FALSE(base::read_file_at(root.get(), "missing", "missing"));
  CHECK_FALSE(base::create_new_file_at(root.get(), "dangling", "x", 0644, "dangling"));
  CHECK_FALSE(fs::exists(tree.outside / "created"));
  CHECK(base::create_new_file_at(root.get(), "fresh", "x", 0644, "fresh"));
  CHECK(read_file(tree.inside / "fresh") == "x");
}

TEST_CASE("remove_tree_at removes trees deeper than PATH_MAX and only unlinks links") {
  Tree tree;
  // 40 levels of 200-character names: about twice PATH_MAX.
  const std::string name(200, 'd');
  int dir = ::open(tree.inside.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(::mkdirat(dir, "deep", 0755) == 0);
  int level = ::openat(dir, "deep", O_RDONLY | O_DIRECTORY);
  ::close(dir);
  for (int i = 0; i < 40; ++i) {
    REQUIRE(::mkdirat(level, name.c_str(), 0755) == 0);
    const int next = ::openat(level, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(level);
    level = next;
  }
  REQUIRE(::symlinkat("/", level, "root-link") == 0);
  ::close(level);
  fs::create_directory_symlink(tree.outside, tree.inside / "deep-outside");

  const base::Fd root = base::open_directory(tree.inside);
  base::remove_tree_at(root.get(), "deep", "deep");
  base::remove_tree_at(root.get(), "deep-outside", "deep-outside");
  base::remove_tree_at(root.get(), "never-there", "never-there");
  CHECK_FALSE(fs::exists(tree.inside / "deep"));
  CHECK_FALSE(fs::exists(fs::symlink_status(tree.inside / "deep-outside")));
  CHECK(read_file(tree.outside / "secret") == "secret\n");
}
