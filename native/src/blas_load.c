// Loading OpenBLAS with a chosen kernel family, and checking that family's products.
//
// OpenBLAS is opened with dlopen rather than linked, so the addon builds with only a C compiler
// and Node's headers, and a machine without libopenblas gets a clear message instead of a failed
// `require`. It is opened on request (loadBlas), not when the addon loads, because the library
// picks its kernels once, in its constructor, from the CPU's model number or from
// OPENBLAS_CORETYPE: subflow first reads the CPU's features (cpuFeatures), chooses a family
// (model/kernels/openblasCore.ts) and has it checked by selfTest in a child process.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subflow_native.h"

typedef int (*get_threads_fn)(void);
typedef void (*set_threads_fn)(int);
typedef char *(*get_string_fn)(void);

sgemm_fn blas_sgemm = NULL;
char load_error[512] = "";
static bool load_tried = false;
static get_threads_fn blas_get_threads = NULL;
static set_threads_fn blas_set_threads = NULL;
static get_string_fn blas_get_config = NULL;
static get_string_fn blas_get_corename = NULL;
static char library_path[PATH_MAX] = "";

static const char *const LIBRARIES[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.3.so", NULL};

// An environment variable set only while OpenBLAS's constructor reads it, then put back.
struct scoped_env {
  const char *name;
  char *previous;
  bool set;
};

static void scoped_env_set(struct scoped_env *e, const char *name, const char *value) {
  e->name = name;
  const char *current = getenv(name);
  e->previous = current != NULL ? strdup(current) : NULL;
  e->set = value != NULL;
  if (e->set) setenv(name, value, 1);
}

static void scoped_env_restore(struct scoped_env *e) {
  if (e->set) {
    if (e->previous != NULL) setenv(e->name, e->previous, 1);
    else unsetenv(e->name);
  }
  free(e->previous);
}

// Opens OpenBLAS once. With `coretype`, OPENBLAS_CORETYPE holds it while the library's constructor
// runs and is restored right after, so neither this process's later children nor the user's
// environment see the change. (setenv is not thread-safe; Node's other threads do not read the
// environment at this point, which is the addon's first use of BLAS.)
//
// OPENBLAS_THREAD_TIMEOUT (unless the user set it) goes the same way: OpenBLAS's idle threads
// busy-wait 2^28 cycles (≈0.1 s) after each product by default, and the addon's own thread pool
// (thread_pool.c) runs the LSTM recurrences and the optimiser between those products, so on a
// 2-core machine its worker shared a core with a spinning OpenBLAS thread: a training step ran at
// 3,035–3,618 target tokens/s with the default against 3,802–4,214 with 2^4 cycles (ref-small,
// bench/train.ts, 2-core AMD EPYC VM). Decoding was unchanged either way.
static void load_openblas(const char *coretype) {
  load_tried = true;
  struct scoped_env core, timeout;
  scoped_env_set(&core, "OPENBLAS_CORETYPE", coretype);
  scoped_env_set(&timeout, "OPENBLAS_THREAD_TIMEOUT", getenv("OPENBLAS_THREAD_TIMEOUT") == NULL ? "4" : NULL);
  void *handle = NULL;
  for (int i = 0; LIBRARIES[i] != NULL && handle == NULL; i++)
    handle = dlopen(LIBRARIES[i], RTLD_NOW | RTLD_LOCAL);
  scoped_env_restore(&timeout);
  scoped_env_restore(&core);
  if (handle == NULL) {
    snprintf(load_error, sizeof load_error, "libopenblas.so.0 not found (%s)", dlerror());
    return;
  }
  blas_sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
  blas_get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
  blas_set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
  blas_get_config = (get_string_fn)dlsym(handle, "openblas_get_config");
  blas_get_corename = (get_string_fn)dlsym(handle, "openblas_get_corename");
  if (blas_sgemm == NULL) {
    snprintf(load_error, sizeof load_error, "cblas_sgemm missing in libopenblas");
    return;
  }
  Dl_info where;
  if (dladdr((void *)blas_sgemm, &where) && where.dli_fname != NULL &&
      realpath(where.dli_fname, library_path) == NULL)
    snprintf(library_path, sizeof library_path, "%s", where.dli_fname);
}

// The CPU features OpenBLAS's x86-64 kernel families need, as the CPU and the OS report them
// (libgcc's __builtin_cpu_supports also checks that the OS saves the AVX/AVX-512 registers).
static const char *const FEATURES[] = {"sse3",     "ssse3",    "sse4.2",   "avx",        "avx2",
                                       "fma",      "avx512f",  "avx512bw", "avx512dq",   "avx512vl",
                                       "avx512cd", "avx512bf16", NULL};

static bool cpu_supports(const char *feature) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  // __builtin_cpu_supports takes only string literals.
  if (!strcmp(feature, "sse3")) return __builtin_cpu_supports("sse3");
  if (!strcmp(feature, "ssse3")) return __builtin_cpu_supports("ssse3");
  if (!strcmp(feature, "sse4.2")) return __builtin_cpu_supports("sse4.2");
  if (!strcmp(feature, "avx")) return __builtin_cpu_supports("avx");
  if (!strcmp(feature, "avx2")) return __builtin_cpu_supports("avx2");
  if (!strcmp(feature, "fma")) return __builtin_cpu_supports("fma");
  if (!strcmp(feature, "avx512f")) return __builtin_cpu_supports("avx512f");
  if (!strcmp(feature, "avx512bw")) return __builtin_cpu_supports("avx512bw");
  if (!strcmp(feature, "avx512dq")) return __builtin_cpu_supports("avx512dq");
  if (!strcmp(feature, "avx512vl")) return __builtin_cpu_supports("avx512vl");
  if (!strcmp(feature, "avx512cd")) return __builtin_cpu_supports("avx512cd");
  if (!strcmp(feature, "avx512bf16")) return __builtin_cpu_supports("avx512bf16");
#else
  (void)feature;
#endif
  return false;
}

// cpuFeatures() → the names in FEATURES this CPU and OS support (empty off x86-64).
static napi_value cpu_features(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, name;
  napi_create_array(env, &result);
  uint32_t count = 0;
  for (int i = 0; FEATURES[i] != NULL; i++) {
    if (!cpu_supports(FEATURES[i])) continue;
    napi_create_string_utf8(env, FEATURES[i], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, result, count++, name);
  }
  return result;
}

// loadBlas(coretype: string | null) → whether cblas_sgemm is available. Only the first call
// loads; later ones report the outcome of the first (a library's kernel family is fixed once it
// is loaded).
static napi_value load_blas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (!load_tried) {
    char coretype[64] = "";
    napi_valuetype type = napi_undefined;
    if (argc == 1) napi_typeof(env, arg, &type);
    if (type == napi_string) napi_get_value_string_utf8(env, arg, coretype, sizeof coretype, NULL);
    load_openblas(coretype[0] != '\0' ? coretype : NULL);
  }
  napi_get_boolean(env, blas_sgemm != NULL, &result);
  return result;
}

static void set_string(napi_env env, napi_value object, const char *name, const char *value) {
  napi_value string;
  napi_create_string_utf8(env, value != NULL ? value : "", NAPI_AUTO_LENGTH, &string);
  napi_set_named_property(env, object, name, string);
}

// info() → { available, error, threads, config, core, library }
static napi_value blas_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, value;
  napi_create_object(env, &result);
  napi_get_boolean(env, blas_sgemm != NULL, &value);
  napi_set_named_property(env, result, "available", value);
  set_string(env, result, "error", load_tried ? load_error : "OpenBLAS not loaded yet (loadBlas)");
  napi_create_int32(env, blas_get_threads ? blas_get_threads() : 0, &value);
  napi_set_named_property(env, result, "threads", value);
  set_string(env, result, "config", blas_get_config ? blas_get_config() : "");
  set_string(env, result, "core", blas_get_corename ? blas_get_corename() : "");
  set_string(env, result, "library", library_path);
  return result;
}

int blas_thread_count(void) { return blas_get_threads != NULL ? blas_get_threads() : 0; }

// setThreads(n): OpenBLAS's thread count and the addon's own kernels' (thread_pool.c) for this
// process (all its threads share them).
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc != 1) return throw_error(env, "setThreads: expected 1 argument");
  const int threads = int_arg(env, arg);
  if (threads < 1) return throw_error(env, "setThreads: the thread count must be at least 1");
  if (blas_set_threads != NULL) blas_set_threads(threads);
  subflow_pool_set_threads(threads);
  return NULL;
}

// Products the self-test checks: odd sizes around the kernels' register blocks (16, 32, 48 columns
// for AVX-512), single rows and columns (the gemv-like paths and SkylakeX's small-matrix "direct"
// path), lengths near the cache blocks, and a few of ref-small's shapes scaled down.
static const int SHAPES[][3] = {{1, 1, 1},     {3, 5, 7},       {16, 16, 16},    {17, 33, 65},   {24, 48, 96},
                                {33, 1, 1},    {7, 1, 300},     {1, 1, 4096},    {2, 2, 1000},   {257, 1, 129},
                                {1, 1003, 512}, {5, 2051, 257}, {31, 129, 511},  {100, 100, 100}, {128, 80, 200},
                                {64, 544, 96}, {150, 100, 75}};

// Deterministic values in [−1, 1).
static float next_value(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)(*state >> 8) / 8388608.0f - 1.0f;
}

// One product of the self-test against a double-precision loop; returns the largest error relative
// to what float32 rounding allows for it (≤ 1 passes; NaN counts as a failure), or a negative
// number when memory ran out.
static double check_product(int m, int n, int k, bool trans_a, bool trans_b, float alpha, float beta, int pad,
                            uint32_t *seed) {
  const int a_rows = trans_a ? k : m, a_cols = trans_a ? m : k, b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  const int lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
  float *a = malloc(sizeof(float) * (size_t)a_rows * lda), *b = malloc(sizeof(float) * (size_t)b_rows * ldb),
        *c = malloc(sizeof(float) * (size_t)m * ldc), *c0 = malloc(sizeof(float) * (size_t)m * ldc);
  if (a == NULL || b == NULL || c == NULL || c0 == NULL) {
    free(a), free(b), free(c), free(c0);
    return -1;
  }
  for (long i = 0; i < (long)a_rows * lda; i++) a[i] = next_value(seed);
  for (long i = 0; i < (long)b_rows * ldb; i++) b[i] = next_value(seed);
  for (long i = 0; i < (long)m * ldc; i++) c[i] = c0[i] = next_value(seed);
  blas_sgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
             beta, c, ldc);
  double worst = 0;
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      double sum = 0, magnitude = 0;
      for (int p = 0; p < k; p++) {
        const double product = (double)(trans_a ? a[(long)p * lda + i] : a[(long)i * lda + p]) *
                               (trans_b ? b[(long)j * ldb + p] : b[(long)p * ldb + j]);
        sum += product;
        magnitude += fabs(product);
      }
      const double expected = alpha * sum + beta * c0[(long)i * ldc + j];
      magnitude = fabs(alpha) * magnitude + fabs(beta * c0[(long)i * ldc + j]);
      // Float32 accumulation of k terms errs by at most about k·ε·Σ|aᵢbᵢ|; broken kernels err by
      // the size of the values themselves.
      const double allowed = (k + 4) * (double)FLT_EPSILON * magnitude + 1e-30;
      const double error = fabs(c[(long)i * ldc + j] - expected) / allowed;
      if (!(error <= worst)) worst = isnan(error) ? INFINITY : error;
    }
  }
  // Padding between rows must be left untouched.
  for (int i = 0; i < m; i++)
    for (int j = n; j < ldc; j++)
      if (c[(long)i * ldc + j] != c0[(long)i * ldc + j]) worst = INFINITY;
  free(a), free(b), free(c), free(c0);
  return worst;
}

// selfTest() → { passed, products, worst, failure }: every SHAPES entry in the four transpose
// combinations, with α = 1, β = 0 (the direct paths) and with α, β ≠ 0, 1 and padded rows.
static napi_value self_test(napi_env env, napi_callback_info info) {
  (void)info;
  if (blas_sgemm == NULL) return throw_error(env, load_tried ? load_error : "selfTest: call loadBlas first");
  uint32_t seed = 12345;
  double worst = 0;
  int products = 0;
  char failure[160] = "";
  for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
    for (int variant = 0; variant < 8; variant++) {
      const bool trans_a = variant & 1, trans_b = variant & 2, scaled = variant & 4;
      const int m = SHAPES[s][0], n = SHAPES[s][1], k = SHAPES[s][2];
      const double error = check_product(m, n, k, trans_a, trans_b, scaled ? 0.75f : 1.0f, scaled ? -0.5f : 0.0f,
                                         scaled ? 3 : 0, &seed);
      if (error < 0) return throw_error(env, "selfTest: out of memory");
      products++;
      if (!(error <= worst)) {
        worst = error;
        if (!(error <= 1.0))
          snprintf(failure, sizeof failure, "%d×%d×%d%s%s%s: error %.3g× the float32 bound", m, n, k,
                   trans_a ? " Aᵀ" : "", trans_b ? " Bᵀ" : "", scaled ? " α,β" : "", error);
      }
    }
  }
  napi_value result, value;
  napi_create_object(env, &result);
  napi_get_boolean(env, worst <= 1.0, &value);
  napi_set_named_property(env, result, "passed", value);
  napi_create_int32(env, products, &value);
  napi_set_named_property(env, result, "products", value);
  napi_create_double(env, worst, &value);
  napi_set_named_property(env, result, "worst", value);
  set_string(env, result, "failure", failure);
  return result;
}

void register_blas_load(napi_env env, napi_value exports) {
  export_function(env, exports, "cpuFeatures", cpu_features);
  export_function(env, exports, "loadBlas", load_blas);
  export_function(env, exports, "info", blas_info);
  export_function(env, exports, "setThreads", set_threads);
  export_function(env, exports, "selfTest", self_test);
}
