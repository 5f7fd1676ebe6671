#include "experiments/stop_signal.hpp"

#include <atomic>
#include <csignal>

namespace ser::experiments {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void ser_request_stop(int) { g_stop.store(true); }
}  // namespace

void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = ser_request_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop.load(); }

}  // namespace ser::experiments
