// A fixed set of threads with a bounded queue, for the blocking work (database calls) of gRPC
// callback handlers, which must never block on a gRPC thread.
//
// A full queue is refused at once (TrySubmit returns false) so that an overloaded service
// answers RESOURCE_EXHAUSTED instead of queueing without bound.
#ifndef QUXIANG_LIBS_SERVER_WORKER_POOL_H_
#define QUXIANG_LIBS_SERVER_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quxiang::server {

class WorkerPool {
 public:
  // `threads` workers; at most `queue_limit` tasks wait beyond those running.
  WorkerPool(int threads, int queue_limit);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> task);

  // Finishes every queued task, then joins the threads. Idempotent.
  void Drain();

  int queued() const;
  int running() const;

 private:
  void Work();

  const int queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace quxiang::server

#endif  // QUXIANG_LIBS_SERVER_WORKER_POOL_H_
