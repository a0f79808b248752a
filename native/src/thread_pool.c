// A small pool of worker threads that split one loop with the calling thread, for the addon's own
// kernels (packed products, LSTM recurrence rows, top-k, loss rows, Adam). OpenBLAS threads its own products;
// these loops run outside it, and on one thread a 2-core machine gave the peer's 2-thread OpenBLAS
// twice our share of the CPU in decoding.
//
// A loop is cut into chunks that the calling thread and the workers claim one at a time, so a worker
// that is slow to wake (a busy machine) only means the caller runs more of the chunks itself.
// Workers start on first use. After a loop they spin for a short while (a decoder step runs four
// products a few microseconds apart), then sleep on a condition variable until the next loop, so an
// idle process costs nothing. One loop runs at a time: a second caller (another worker_thread of
// the same process) runs its loop alone on its own thread rather than wait.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "subflow_native.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_THREADS 64
// How long an idle worker spins before it sleeps: long enough to span the gaps between one decoder
// step's products, short enough not to matter to a machine that is otherwise busy.
#define SPIN_NS 200000L
// The first part of that spin, before it turns to sched_yield.
#define POLITE_NS 20000L

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
// The loop's chunks are claimed from one word, generation << 32 | chunks << 16 | next chunk, so a
// worker that wakes late (a busy machine) finds the loop's chunks taken, or a later loop's
// generation, and claims nothing it should not: no thread ever waits for a sleeping one.
static _Atomic uint64_t claim;
static atomic_long chunks_done;
static int started = 0;
// Threads a loop may use, the caller included; 0 until set or first asked.
static atomic_int wanted = 0;
#define MAX_CHUNKS 0xffffL

static struct {
  subflow_range_fn fn;
  void *ctx;
  long count, grain;
} job;

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static uint32_t generation_of(uint64_t word) { return (uint32_t)(word >> 32); }

// Claims and runs chunks of generation `generation` until none is left. The job's fields are read
// only after a successful claim: until that chunk is counted done, the caller cannot start another loop.
static void run_chunks(uint32_t generation) {
  uint64_t word = atomic_load_explicit(&claim, memory_order_acquire);
  for (;;) {
    const long chunks = (long)((word >> 16) & MAX_CHUNKS), next = (long)(word & MAX_CHUNKS);
    if (generation_of(word) != generation || next >= chunks) return;
    if (!atomic_compare_exchange_weak_explicit(&claim, &word, word + 1, memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    const long begin = next * job.grain, end = begin + job.grain < job.count ? begin + job.grain : job.count;
    job.fn(job.ctx, begin, end);
    atomic_fetch_add_explicit(&chunks_done, 1, memory_order_release);
    word = atomic_load_explicit(&claim, memory_order_acquire);
  }
}

static void *worker_main(void *arg) {
  uint32_t seen = (uint32_t)(uintptr_t)arg;
  for (;;) {
    uint32_t current = generation_of(atomic_load_explicit(&claim, memory_order_acquire));
    const long started = now_ns(), until = started + SPIN_NS, polite = started + POLITE_NS;
    for (int spin = 0; current == seen; spin++) {
      // Past the first microseconds, spin by yielding: a thread of OpenBLAS or of V8 that wants this
      // core gets it at once (measured: training 3,998 against 3,769 tokens/s, median of 3 each).
      if ((spin & 63) == 63 && now_ns() > polite) sched_yield();
      else CPU_RELAX();
      if ((spin & 63) == 63 && now_ns() > until) break;
      current = generation_of(atomic_load_explicit(&claim, memory_order_acquire));
    }
    if (current == seen) {
      pthread_mutex_lock(&wake_lock);
      while ((current = generation_of(atomic_load_explicit(&claim, memory_order_acquire))) == seen)
        pthread_cond_wait(&wake, &wake_lock);
      pthread_mutex_unlock(&wake_lock);
    }
    seen = current;
    run_chunks(current);
  }
  return NULL;
}

// CPUs this process may run on (its affinity mask, as taskset or a container sets it).
static int available_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? (int)online : 1;
}

int subflow_pool_threads(void) {
  int n = atomic_load(&wanted);
  if (n > 0) return n;
  // Not cached before OpenBLAS loads, so OPENBLAS_NUM_THREADS counts from then on.
  n = blas_thread_count();
  if (n < 1) n = available_cpus();
  n = n > MAX_THREADS ? MAX_THREADS : n;
  if (blas_thread_count() > 0) atomic_store(&wanted, n);
  return n;
}

void subflow_pool_set_threads(int threads) {
  atomic_store(&wanted, threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads);
}

// Starts workers until `threads` run the loop, the caller included (pool_lock held); fewer if the
// system refuses. Workers beyond a later, smaller thread count claim chunks too: the count bounds
// how many are started, not how many may help.
static void start_workers(int threads) {
  while (started < threads - 1) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const uint32_t generation = generation_of(atomic_load(&claim));
    const int failed = pthread_create(&thread, &attr, worker_main, (void *)(uintptr_t)generation);
    pthread_attr_destroy(&attr);
    if (failed) return;
    started++;
  }
}

void subflow_parallel_for(long count, long grain, subflow_range_fn fn, void *ctx) {
  if (count <= 0) return;
  if (grain < 1) grain = 1;
  if ((count + grain - 1) / grain > MAX_CHUNKS) grain = (count + MAX_CHUNKS - 1) / MAX_CHUNKS;
  const long chunks = (count + grain - 1) / grain;
  const int threads = subflow_pool_threads();
  if (chunks <= 1 || threads <= 1 || pthread_mutex_trylock(&pool_lock) != 0) {
    fn(ctx, 0, count);
    return;
  }
  start_workers(threads);
  job.fn = fn;
  job.ctx = ctx;
  job.count = count;
  job.grain = grain;
  atomic_store_explicit(&chunks_done, 0, memory_order_relaxed);
  const uint32_t generation = generation_of(atomic_load(&claim)) + 1;
  atomic_store_explicit(&claim, (uint64_t)generation << 32 | (uint64_t)chunks << 16, memory_order_release);
  pthread_mutex_lock(&wake_lock);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&wake_lock);
  run_chunks(generation);
  for (int spin = 0; atomic_load_explicit(&chunks_done, memory_order_acquire) < chunks; spin++) {
    // A worker descheduled mid-chunk on a busy machine: give it our core rather than spin against it.
    if (spin > 4096) sched_yield();
    else CPU_RELAX();
  }
  pthread_mutex_unlock(&pool_lock);
}
