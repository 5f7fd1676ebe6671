#pragma once
// What the benchmarks measure the machine itself by: its fp32 FMA peak
// (a loop of independent FMAs, the most any kernel can reach), the
// resident-memory high-water mark, and another program's busy loop to
// share the cores with (--contention).

namespace ser::bench {

// Peak fp32 GFLOP/s on `threads` threads: measured by peak_loop() for
// about `seconds`, kept from the first call (main calls it before any
// --contention starts, so every item is measured against the quiet peak).
double fma_peak_gflops(int threads, double seconds = 0.3);
// One timing of the FMA loop (the peak/fma benchmark item).
double peak_loop_gflops(int threads, double seconds);

// Resets the process's resident high-water mark to its current size
// (/proc/self/clear_refs), so peak_rss_mb() reads the peak since then.
void reset_peak_rss();
double peak_rss_mb();

// Starts a child process that spins on one core until this process ends
// (it dies with its parent); returns its pid.
int start_busy_loop();

}  // namespace ser::bench
