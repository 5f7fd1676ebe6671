#pragma once
// How a thread count asked for becomes the count passed down. Every front
// end (a config's `threads`, --threads, an API default) says 0 for "every
// core" and resolves it here, once, at the edge; below it counts travel as
// arguments.

namespace ser {

// asked > 0: that many. 0 (or less): every core OpenMP may use, which is
// the machine's (OMP_NUM_THREADS lowers it).
int thread_count(int asked);

}  // namespace ser
