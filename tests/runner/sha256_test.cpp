#include <doctest/doctest.h>

#include "sha256.hpp"

using namespace wasibuild::runner;

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors, in one piece or streamed") {
  Sha256 empty;
  CHECK(to_hex(empty.finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  CHECK(to_hex(abc.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 streamed;
  streamed.update("abcdbcdecdefdefgefghfghighij");
  streamed.update("hijkijkljklmklmnlmnomnopnopq");
  CHECK(to_hex(streamed.finish()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
