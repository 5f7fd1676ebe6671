#include "common/communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <thread>

namespace ser {

namespace {

// Open MPI's blocking calls spin at full speed. A rank that waits minutes
// (a worker for its next run, a fast rank at a barrier) would take a core
// from the ranks that compute, so every wait spins only for a while (a
// training step's exchange, partners a few milliseconds apart, is served
// at full speed), then tests every 200 us, and after a second every 2 ms.
void wait(MPI_Request& request) {
  using namespace std::chrono;
  const auto start = steady_clock::now();
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    const auto waited = steady_clock::now() - start;
    if (waited < milliseconds(20)) continue;
    std::this_thread::sleep_for(waited < seconds(1) ? microseconds(200) : milliseconds(2));
  }
}

// MPI counts are ints: big buffers travel in pieces of at most this many bytes.
constexpr size_t kPiece = size_t{1} << 30;

int count_of(size_t bytes) { return static_cast<int>(bytes); }

void broadcast_bytes(char* data, size_t size, int root) {
  for (size_t at = 0; at < size; at += kPiece) {
    MPI_Request r;
    MPI_Ibcast(data + at, count_of(std::min(kPiece, size - at)), MPI_BYTE, root, MPI_COMM_WORLD, &r);
    wait(r);
  }
}

std::vector<uint64_t> gather_sizes(uint64_t mine, int size) {
  std::vector<uint64_t> sizes(static_cast<size_t>(size));
  MPI_Request r;
  MPI_Iallgather(&mine, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD, &r);
  wait(r);
  return sizes;
}

}  // namespace

std::string Communicator::describe() const {
  return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + (node_.empty() ? "" : " on " + node_);
}

void Communicator::barrier() const {
  if (size_ == 1) return;
  MPI_Request r;
  MPI_Ibarrier(MPI_COMM_WORLD, &r);
  wait(r);
}

std::vector<std::string> Communicator::all_gather(std::string_view mine) const {
  if (size_ == 1) return {std::string(mine)};
  const auto sizes = gather_sizes(mine.size(), size_);
  std::vector<std::string> all(static_cast<size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    std::string& part = all[static_cast<size_t>(r)];
    part = r == rank_ ? std::string(mine) : std::string(static_cast<size_t>(sizes[static_cast<size_t>(r)]), '\0');
    broadcast_bytes(part.data(), part.size(), r);
  }
  return all;
}

std::vector<float> Communicator::all_gather(std::span<const float> mine) const {
  if (size_ == 1) return {mine.begin(), mine.end()};
  const auto sizes = gather_sizes(mine.size(), size_);
  uint64_t total = 0;
  for (uint64_t s : sizes) total += s;
  std::vector<float> all(static_cast<size_t>(total));
  size_t at = 0;
  for (int r = 0; r < size_; ++r) {
    const auto n = static_cast<size_t>(sizes[static_cast<size_t>(r)]);
    if (r == rank_) std::copy(mine.begin(), mine.end(), all.begin() + static_cast<std::ptrdiff_t>(at));
    broadcast_bytes(reinterpret_cast<char*>(all.data() + at), n * sizeof(float), r);
    at += n;
  }
  return all;
}

namespace {
// MPI's int counts and displacements, refused past 2^31 floats in one exchange.
std::pair<std::vector<int>, std::vector<int>> counts_and_places(std::span<const int64_t> counts) {
  std::vector<int> n, at;
  int64_t total = 0;
  for (int64_t c : counts) {
    if (total + c > std::numeric_limits<int>::max())
      throw std::length_error("an exchange between ranks of more than 2^31 values; use fewer values per step");
    n.push_back(static_cast<int>(c));
    at.push_back(static_cast<int>(total));
    total += c;
  }
  return {n, at};
}
}  // namespace

void Communicator::all_gather(std::span<const float> mine, std::span<const int64_t> counts,
                              std::span<float> out) const {
  if (size_ == 1) {
    std::copy(mine.begin(), mine.end(), out.begin());
    return;
  }
  const auto [n, at] = counts_and_places(counts);
  if (static_cast<int64_t>(out.size()) < int64_t{at.back()} + n.back())
    throw std::length_error("all_gather: the output holds fewer values than the ranks send");
  MPI_Request r;
  MPI_Iallgatherv(mine.data(), static_cast<int>(mine.size()), MPI_FLOAT, out.data(), n.data(), at.data(), MPI_FLOAT,
                  MPI_COMM_WORLD, &r);
  wait(r);
}

void Communicator::all_to_all(std::span<const float> send, std::span<const int64_t> send_counts,
                              std::span<const int64_t> recv_counts, std::span<float> out) const {
  if (size_ == 1) {
    std::copy(send.begin(), send.end(), out.begin());
    return;
  }
  const auto [sn, sat] = counts_and_places(send_counts);
  const auto [rn, rat] = counts_and_places(recv_counts);
  if (static_cast<int64_t>(out.size()) < int64_t{rat.back()} + rn.back())
    throw std::length_error("all_to_all: the output holds fewer values than the ranks send");
  MPI_Request r;
  MPI_Ialltoallv(send.data(), sn.data(), sat.data(), MPI_FLOAT, out.data(), rn.data(), rat.data(), MPI_FLOAT,
                 MPI_COMM_WORLD, &r);
  wait(r);
}

std::string Communicator::broadcast(std::string bytes, int root) const {
  if (size_ == 1) return bytes;
  uint64_t size = bytes.size();
  MPI_Request r;
  MPI_Ibcast(&size, 1, MPI_UINT64_T, root, MPI_COMM_WORLD, &r);
  wait(r);
  bytes.resize(static_cast<size_t>(size));
  broadcast_bytes(bytes.data(), bytes.size(), root);
  return bytes;
}

int64_t Communicator::sum(int64_t value) const {
  if (size_ == 1) return value;
  int64_t total = 0;
  MPI_Request r;
  MPI_Iallreduce(&value, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &r);
  wait(r);
  return total;
}

void Communicator::send(int to, int tag, std::string_view bytes) const {
  if (bytes.size() > kPiece) throw std::length_error("a message between ranks is limited to 1 GiB");
  MPI_Request r;
  MPI_Isend(bytes.data(), count_of(bytes.size()), MPI_BYTE, to, tag, MPI_COMM_WORLD, &r);
  wait(r);
}

std::string Communicator::receive(int from, int tag) const {
  MPI_Status status;
  for (int waiting = 0;;) {  // probe politely, then take the message at its size
    MPI_Iprobe(from, tag, MPI_COMM_WORLD, &waiting, &status);
    if (waiting) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  std::string bytes(static_cast<size_t>(count), '\0');
  MPI_Recv(bytes.data(), count, MPI_BYTE, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return bytes;
}

std::optional<std::pair<int, std::string>> Communicator::poll(int tag) const {
  if (size_ == 1) return std::nullopt;
  MPI_Status status;
  int waiting = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &waiting, &status);
  if (!waiting) return std::nullopt;
  return std::pair{status.MPI_SOURCE, receive(status.MPI_SOURCE, tag)};
}

void Communicator::abort(int code) const {
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  // Serialized: rank 0 of a shared sweep answers the other ranks from a
  // second thread while its first one trains (common/work_share.cpp).
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  initialized_ = true;
  if (provided < MPI_THREAD_SERIALIZED) {
    std::fprintf(stderr, "ser: this MPI library cannot be called from two threads in turn (MPI_THREAD_SERIALIZED); "
                         "use Open MPI from Debian (libopenmpi-dev)\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &world_.rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_.size_);
  char node[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(node, &length);
  world_.node_.assign(node, static_cast<size_t>(length));
}

MpiSession::~MpiSession() {
  if (initialized_) MPI_Finalize();
}

}  // namespace ser
