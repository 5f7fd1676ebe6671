#include "common/work_share.hpp"

#include <chrono>
#include <mutex>
#include <thread>

#include "common/bytes.hpp"

namespace ser {

namespace {

constexpr int kAsk = 101;   // worker -> 0: the item it finished (-1: none yet) and its result
constexpr int kGive = 102;  // 0 -> worker: the next item (-1: no more)

// Rank 0's side: the next item, shared by its own loop and its answering thread.
class Dispenser {
 public:
  Dispenser(size_t items, const WorkEvents& events) : items_(items), events_(events) {}

  int64_t take(int rank) {
    const std::lock_guard lock(mutex_);
    if (next_ >= items_) return -1;
    if (events_.started) events_.started(next_, rank);
    return static_cast<int64_t>(next_++);
  }
  void finished(size_t item, int rank, const std::string& result) {
    const std::lock_guard lock(mutex_);
    if (events_.finished) events_.finished(item, rank, result);
  }

 private:
  size_t items_, next_ = 0;
  const WorkEvents& events_;
  std::mutex mutex_;
};

std::string ask(int64_t finished, const std::string& result) {
  ByteWriter w;
  w.pod<int64_t>(finished);
  w.blob(result);
  return w.bytes();
}

// Answers the other ranks until each has been told there is no more.
void answer(const Communicator& comm, Dispenser& dispenser, const std::stop_token& stop) {
  for (int retired = 0; retired < comm.size() - 1 && !stop.stop_requested();) {
    const auto message = comm.poll(kAsk);
    if (!message) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const auto& [rank, bytes] = *message;
    ByteReader r(bytes, "a work message from rank " + std::to_string(rank));
    const auto finished = r.pod<int64_t>("finished item");
    const std::string result = r.blob("result");
    if (finished >= 0) dispenser.finished(static_cast<size_t>(finished), rank, result);
    const int64_t next = dispenser.take(rank);
    ByteWriter w;
    w.pod<int64_t>(next);
    comm.send(rank, kGive, w.bytes());
    retired += next < 0;
  }
}

void work_for_root(const Communicator& comm, size_t items, const std::function<std::string(size_t)>& work,
                   const WorkEvents& events) {
  Dispenser dispenser(items, events);
  // Should `work` throw, leaving scope stops and joins the answering thread.
  std::jthread answering([&](std::stop_token stop) { answer(comm, dispenser, stop); });
  for (int64_t i; (i = dispenser.take(0)) >= 0;) {
    const std::string result = work(static_cast<size_t>(i));
    dispenser.finished(static_cast<size_t>(i), 0, result);
  }
  answering.join();  // until every other rank has handed in its last result
}

void work_for_others(const Communicator& comm, const std::function<std::string(size_t)>& work) {
  int64_t finished = -1;
  std::string result;
  for (;;) {
    comm.send(0, kAsk, ask(finished, result));
    const std::string answer = comm.receive(0, kGive);  // kept: the reader only views it
    ByteReader r(answer, "a work message from rank 0");
    const auto next = r.pod<int64_t>("next item");
    if (next < 0) return;
    result = work(static_cast<size_t>(next));
    finished = next;
  }
}

}  // namespace

void share_work(const Communicator& comm, size_t items, const std::function<std::string(size_t)>& work,
                const WorkEvents& events) {
  if (!comm.distributed()) {
    for (size_t i = 0; i < items; ++i) {
      if (events.started) events.started(i, 0);
      const std::string result = work(i);
      if (events.finished) events.finished(i, 0, result);
    }
    return;
  }
  if (comm.is_root())
    work_for_root(comm, items, work, events);
  else
    work_for_others(comm, work);
}

}  // namespace ser
