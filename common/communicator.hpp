#pragma once
// The processes of one job and how they talk. A job started by mpirun or
// srun is MPI's world: work is split by rank and the pieces meet through
// MPI's collectives. Otherwise the world is this one process, every
// exchange is a copy, and callers keep one code path for both.
//
// MPI stays inside communicator.cpp: no other file includes <mpi.h>.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ser {

class Communicator {
 public:
  Communicator() = default;  // this process alone: rank 0 of 1, no MPI

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }
  // "rank 1 of 4 on node7", for messages.
  std::string describe() const;

  // Collectives: every rank calls them, in the same order.
  void barrier() const;
  // Every rank's bytes, in rank order, on every rank.
  std::vector<std::string> all_gather(std::string_view mine) const;
  // `root`'s bytes on every rank (the others' argument is ignored).
  std::string broadcast(std::string bytes, int root = 0) const;
  int64_t sum(int64_t value) const;
  // Floats: every rank's `mine` (sizes may differ) concatenated in rank order.
  std::vector<float> all_gather(std::span<const float> mine) const;
  // The same when every rank knows the sizes (counts[r] floats from rank
  // r), into `out` (the counts' sum), for buffers kept from call to call.
  void all_gather(std::span<const float> mine, std::span<const int64_t> counts, std::span<float> out) const;
  // Every rank sends send_counts[r] floats to rank r (`send` holds them in
  // rank order) and gets recv_counts[r] floats from rank r, into `out` in
  // rank order. One process: `send` copied.
  void all_to_all(std::span<const float> send, std::span<const int64_t> send_counts,
                  std::span<const int64_t> recv_counts, std::span<float> out) const;

  // Messages between two ranks (for handing out work); tags below 1000 are ser's.
  void send(int to, int tag, std::string_view bytes) const;
  std::string receive(int from, int tag) const;
  // A waiting message with `tag` from any rank: (sender, bytes); none waiting: nothing.
  std::optional<std::pair<int, std::string>> poll(int tag) const;

  // Ends every process of the job (MPI_Abort); one process: exit(code).
  [[noreturn]] void abort(int code) const;

 private:
  friend class MpiSession;
  int rank_ = 0, size_ = 1;
  std::string node_;
};

// True when a launcher started this process as one of a job: mpirun sets
// OMPI_COMM_WORLD_SIZE, srun --mpi=pmix sets PMIX_RANK, MPICH's Hydra PMI_RANK.
bool launched_by_mpi();

// MPI's lifetime for `main`: MPI_Init_thread when launched_by_mpi() (a
// program run on its own never touches MPI, so it starts as fast as before
// and needs no launcher), MPI_Finalize at the end.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  const Communicator& world() const { return world_; }

 private:
  Communicator world_;
  bool initialized_ = false;
};

}  // namespace ser
