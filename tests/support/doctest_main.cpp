// The default main of a suite. It sits in a static library of its own, so the
// linker takes it only for suites that define no main (those that skip
// without data or start MPI define theirs).
#include <doctest/doctest.h>

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  return context.run();
}
