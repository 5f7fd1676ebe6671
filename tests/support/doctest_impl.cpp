// doctest's implementation, compiled once for every suite (it is most of a
// suite's compile time when each suite carries its own copy).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
