// Products of a few rows with a weight matrix packed once into column panels, for the decoder
// step's small-M products (32 rows greedy, 160 at beam 5, against W [256, 2048], U [512, 2048],
// W_c [1024, 512] and the output layer W_o [512, 8000]).
//
// cblas_sgemm repacks B into its own panel layout on every call, so with 32 rows it reads and
// writes the 16 MB output matrix once more than it computes with it, and on a CPU that OpenBLAS
// misdetects it runs SSE3 kernels. OpenBLAS 0.3.21 exports no sgemm pack/compute API, so the
// weights are packed here once (when a model starts decoding) and multiplied by microkernels chosen
// from the CPU's features at run time: AVX-512F, AVX2+FMA, and a plain loop the others are tested
// against. Measured on the 2-core AMD EPYC (AVX-512) VM, 32×512·512×8000 on one thread: 1.8–2.1 ms
// against cblas_sgemm's 3.5 ms (SkylakeX kernels), 5.6 ms (Haswell) and 10.8 ms (Prescott).
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "approx_math.h"
#include "subflow_native.h"
#include "subflow_shared.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_SIMD_PATHS 1
#include <immintrin.h>
#else
#define HAVE_SIMD_PATHS 0
#endif

// Columns per panel: two AVX-512 registers, four AVX2 ones.
#define PANEL 32

enum { PATH_AUTO = 0, PATH_PLAIN = 1, PATH_AVX2 = 2, PATH_AVX512 = 3 };
static const char *const PATH_NAMES[] = {"auto", "plain", "avx2", "avx512"};

long subflow_packed_length(long k, long n) { return (n + PANEL - 1) / PANEL * k * PANEL; }

// B [k, n] row-major → panels [⌈n/32⌉][k][32], the columns past n zero. With `transposed`, b holds
// Bᵀ [n, k] row-major (the LSTM backward pass multiplies by Uᵀ): copied in 32×32 tiles, so both the
// reads and the writes stay within a few cache lines at a time.
static void pack_panels(const float *restrict b, long k, long n, bool transposed, float *restrict packed) {
  const long panels = (n + PANEL - 1) / PANEL;
  for (long p = 0; p < panels; p++) {
    const long c0 = p * PANEL, width = n - c0 < PANEL ? n - c0 : PANEL;
    float *restrict panel = packed + p * k * PANEL;
    if (!transposed) {
      for (long i = 0; i < k; i++) {
        memcpy(panel + i * PANEL, b + i * n + c0, sizeof(float) * width);
        if (width < PANEL) memset(panel + i * PANEL + width, 0, sizeof(float) * (PANEL - width));
      }
      continue;
    }
    for (long i0 = 0; i0 < k; i0 += PANEL) {
      const long height = k - i0 < PANEL ? k - i0 : PANEL;
      for (long i = i0; i < i0 + height; i++)
        for (long j = 0; j < PANEL; j++) panel[i * PANEL + j] = j < width ? b[(c0 + j) * k + i] : 0.0f;
    }
  }
}

// One product: out [rows, n] (=, or += with `accumulate`) x · B + bias, x's rows `lda` apart.
struct product {
  const float *x, *packed, *bias;
  float *out;
  long rows, lda, k, n;
  bool accumulate;
  int path;
};

// Writes acc (one row of a panel, 32 values) + bias (+ out) to out, only the first `width` columns.
INLINE void store_row(const float *restrict acc, const float *restrict bias, bool accumulate, float *restrict out,
                      long width) {
  for (long j = 0; j < width; j++) out[j] = acc[j] + (bias != NULL ? bias[j] : 0.0f) + (accumulate ? out[j] : 0.0f);
}

// One row at a time, the 32 columns of a panel in a local array the compiler vectorises.
CLONES static void matmul_plain(const struct product *w, long p0, long p1) {
  const long k = w->k, n = w->n;
  for (long p = p0; p < p1; p++) {
    const long c0 = p * PANEL, width = n - c0 < PANEL ? n - c0 : PANEL;
    const float *restrict panel = w->packed + p * k * PANEL;
    for (long r = 0; r < w->rows; r++) {
      float acc[PANEL] = {0};
      const float *restrict xr = w->x + r * w->lda;
      for (long i = 0; i < k; i++) {
        const float a = xr[i];
        for (int j = 0; j < PANEL; j++) acc[j] += a * panel[i * PANEL + j];
      }
      store_row(acc, w->bias != NULL ? w->bias + c0 : NULL, w->accumulate, w->out + r * n + c0, width);
    }
  }
}

#if HAVE_SIMD_PATHS
#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))

// Rows [mr ≤ 8] × one panel: 16 accumulators, each B row loaded once for all mr rows.
AVX512 static inline __attribute__((always_inline)) void block_avx512(const float *restrict x, long lda, long k,
                                                                      int mr, const float *restrict panel,
                                                                      float *restrict acc) {
  __m512 c[8][2];
  for (int r = 0; r < 8; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
  for (long i = 0; i < k; i++) {
    const __m512 b0 = _mm512_loadu_ps(panel + i * PANEL), b1 = _mm512_loadu_ps(panel + i * PANEL + 16);
    for (int r = 0; r < mr; r++) {
      const __m512 a = _mm512_set1_ps(x[r * lda + i]);
      c[r][0] = _mm512_fmadd_ps(a, b0, c[r][0]);
      c[r][1] = _mm512_fmadd_ps(a, b1, c[r][1]);
    }
  }
  for (int r = 0; r < mr; r++) {
    _mm512_storeu_ps(acc + r * PANEL, c[r][0]);
    _mm512_storeu_ps(acc + r * PANEL + 16, c[r][1]);
  }
}

AVX512 static void matmul_avx512(const struct product *w, long p0, long p1) {
  const long k = w->k, n = w->n, lda = w->lda;
  const float *restrict bias = w->bias;
  float acc[8 * PANEL];
  for (long p = p0; p < p1; p++) {
    const long c0 = p * PANEL, width = n - c0 < PANEL ? n - c0 : PANEL;
    const float *restrict panel = w->packed + p * k * PANEL;
    for (long r0 = 0; r0 < w->rows; r0 += 8) {
      const int mr = w->rows - r0 < 8 ? (int)(w->rows - r0) : 8;
      const float *restrict x = w->x + r0 * lda;
      // A constant row count lets the compiler unroll the row loop and keep every accumulator in a register.
      switch (mr) {
        case 8: block_avx512(x, lda, k, 8, panel, acc); break;
        case 7: block_avx512(x, lda, k, 7, panel, acc); break;
        case 6: block_avx512(x, lda, k, 6, panel, acc); break;
        case 5: block_avx512(x, lda, k, 5, panel, acc); break;
        case 4: block_avx512(x, lda, k, 4, panel, acc); break;
        case 3: block_avx512(x, lda, k, 3, panel, acc); break;
        case 2: block_avx512(x, lda, k, 2, panel, acc); break;
        default: block_avx512(x, lda, k, 1, panel, acc); break;
      }
      for (int r = 0; r < mr; r++) {
        float *restrict o = w->out + (r0 + r) * n + c0;
        if (width == PANEL) {
          __m512 v0 = _mm512_loadu_ps(acc + r * PANEL), v1 = _mm512_loadu_ps(acc + r * PANEL + 16);
          if (bias != NULL) {
            v0 = _mm512_add_ps(v0, _mm512_loadu_ps(bias + c0));
            v1 = _mm512_add_ps(v1, _mm512_loadu_ps(bias + c0 + 16));
          }
          if (w->accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_loadu_ps(o));
            v1 = _mm512_add_ps(v1, _mm512_loadu_ps(o + 16));
          }
          _mm512_storeu_ps(o, v0);
          _mm512_storeu_ps(o + 16, v1);
        } else {
          store_row(acc + r * PANEL, bias != NULL ? bias + c0 : NULL, w->accumulate, o, width);
        }
      }
    }
  }
}

// Rows [mr ≤ 6] × half a panel (16 columns): 12 accumulators of the 16 AVX2 registers.
AVX2 static inline __attribute__((always_inline)) void block_avx2(const float *restrict x, long lda, long k, int mr,
                                                                  const float *restrict half,
                                                                  float *restrict acc) {
  __m256 c[6][2];
  for (int r = 0; r < 6; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
  for (long i = 0; i < k; i++) {
    const __m256 b0 = _mm256_loadu_ps(half + i * PANEL), b1 = _mm256_loadu_ps(half + i * PANEL + 8);
    for (int r = 0; r < mr; r++) {
      const __m256 a = _mm256_broadcast_ss(x + r * lda + i);
      c[r][0] = _mm256_fmadd_ps(a, b0, c[r][0]);
      c[r][1] = _mm256_fmadd_ps(a, b1, c[r][1]);
    }
  }
  for (int r = 0; r < mr; r++) {
    _mm256_storeu_ps(acc + r * PANEL, c[r][0]);
    _mm256_storeu_ps(acc + r * PANEL + 8, c[r][1]);
  }
}

AVX2 static void matmul_avx2(const struct product *w, long p0, long p1) {
  const long k = w->k, n = w->n, lda = w->lda;
  float acc[6 * PANEL];
  for (long p = p0; p < p1; p++) {
    const long c0 = p * PANEL, width = n - c0 < PANEL ? n - c0 : PANEL;
    const float *restrict panel = w->packed + p * k * PANEL;
    for (long r0 = 0; r0 < w->rows; r0 += 6) {
      const int mr = w->rows - r0 < 6 ? (int)(w->rows - r0) : 6;
      const float *restrict x = w->x + r0 * lda;
      for (int half = 0; half < 2; half++) {
        switch (mr) {
          case 6: block_avx2(x, lda, k, 6, panel + half * 16, acc + half * 16); break;
          case 5: block_avx2(x, lda, k, 5, panel + half * 16, acc + half * 16); break;
          case 4: block_avx2(x, lda, k, 4, panel + half * 16, acc + half * 16); break;
          case 3: block_avx2(x, lda, k, 3, panel + half * 16, acc + half * 16); break;
          case 2: block_avx2(x, lda, k, 2, panel + half * 16, acc + half * 16); break;
          default: block_avx2(x, lda, k, 1, panel + half * 16, acc + half * 16); break;
        }
      }
      for (int r = 0; r < mr; r++)
        store_row(acc + r * PANEL, w->bias != NULL ? w->bias + c0 : NULL, w->accumulate,
                  w->out + (r0 + r) * n + c0, width);
    }
  }
}
#endif

static bool path_supported(int path) {
  switch (path) {
    case PATH_PLAIN: return true;
#if HAVE_SIMD_PATHS
    case PATH_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case PATH_AVX512: __builtin_cpu_init(); return __builtin_cpu_supports("avx512f");
#endif
    default: return false;
  }
}

// The path `path` means here: PATH_AUTO becomes the widest the CPU supports.
// Read once: every product of every decoder and recurrence step asks.
static int resolve_path(int path) {
  static int widest = PATH_AUTO;
  if (path != PATH_AUTO) return path;
  if (widest == PATH_AUTO)
    widest = path_supported(PATH_AVX512) ? PATH_AVX512 : path_supported(PATH_AVX2) ? PATH_AVX2 : PATH_PLAIN;
  return widest;
}

// Panels [p0, p1) of one product: the unit the thread pool splits (each panel's columns are
// computed whole by one thread, so the result does not depend on the thread count).
static void product_panels(void *arg, long p0, long p1) {
  const struct product *w = arg;
  switch (w->path) {
#if HAVE_SIMD_PATHS
    case PATH_AVX512: matmul_avx512(w, p0, p1); return;
    case PATH_AVX2: matmul_avx2(w, p0, p1); return;
#endif
    default: matmul_plain(w, p0, p1); return;
  }
}

// Below this many multiply-adds a chunk, handing it to another thread costs more than it saves.
#define MIN_CHUNK_WORK (1L << 18)

static void run_product(const struct product *work) {
  const long panels = (work->n + PANEL - 1) / PANEL, per_panel = work->rows * work->k * PANEL;
  const long grain = per_panel > 0 ? (MIN_CHUNK_WORK + per_panel - 1) / per_panel : panels;
  subflow_parallel_for(panels, grain, product_panels, (void *)work);
}

bool subflow_packed_matmul(const float *x, long rows, long k, long n, const float *packed, const float *bias,
                           float *out, int path) {
  path = resolve_path(path);
  if (!path_supported(path)) return false;
  const struct product work = {x, packed, bias, out, rows, k, k, n, false, path};
  run_product(&work);
  return true;
}

bool subflow_packed_fast(void) { return resolve_path(PATH_AUTO) != PATH_PLAIN; }

void subflow_pack(const float *b, long k, long n, bool transposed, float *packed) {
  pack_panels(b, k, n, transposed, packed);
}

void subflow_packed_accumulate(const float *x, long lda, long rows, long k, long n, const float *packed,
                               bool accumulate, float *out) {
  const struct product work = {x, packed, NULL, out, rows, lda, k, n, accumulate, resolve_path(PATH_AUTO)};
  run_product(&work);
}

// packPanels(b, k, n, packed): b [k, n] → packed [packedLength(k, n)] (see pack_panels).
static napi_value pack_panels_fn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 4) return throw_error(env, "packPanels: expected 4 arguments");
  float *b, *packed;
  size_t b_len, packed_len;
  if (!float_array(env, args[0], &b, &b_len) || !float_array(env, args[3], &packed, &packed_len)) return NULL;
  const long k = int_arg(env, args[1]), n = int_arg(env, args[2]);
  if (k < 1 || n < 1 || b_len < (size_t)(k * n) || packed_len < (size_t)subflow_packed_length(k, n))
    return throw_error(env, "packPanels: shapes do not fit the arrays");
  pack_panels(b, k, n, false, packed);
  return NULL;
}

// packedMatMul(x, rows, k, n, packed, bias|null, out, path): out [rows, n] = x [rows, k] · B (+ bias [n]).
static napi_value packed_matmul_fn(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value args[8];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 8) return throw_error(env, "packedMatMul: expected 8 arguments");
  float *x, *packed, *bias, *out;
  size_t x_len, packed_len, bias_len, out_len;
  if (!float_array(env, args[0], &x, &x_len) || !float_array(env, args[4], &packed, &packed_len) ||
      !optional_floats(env, args[5], &bias, &bias_len) || !float_array(env, args[6], &out, &out_len))
    return NULL;
  const long rows = int_arg(env, args[1]), k = int_arg(env, args[2]), n = int_arg(env, args[3]);
  const int path = int_arg(env, args[7]);
  if (rows < 0 || k < 1 || n < 1 || x_len < (size_t)(rows * k) ||
      packed_len < (size_t)subflow_packed_length(k, n) || (bias != NULL && bias_len < (size_t)n) ||
      out_len < (size_t)(rows * n) || path < PATH_AUTO || path > PATH_AVX512)
    return throw_error(env, "packedMatMul: shapes do not fit the arrays");
  if (!subflow_packed_matmul(x, rows, k, n, packed, bias, out, path))
    return throw_error(env, "packedMatMul: that path cannot run on this CPU");
  return NULL;
}

// packedFeatures() → { path, paths }: the path PATH_AUTO runs here, and every path that can run.
static napi_value packed_features(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, value, paths;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, PATH_NAMES[resolve_path(PATH_AUTO)], NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "path", value);
  napi_create_array(env, &paths);
  uint32_t count = 0;
  for (int path = PATH_PLAIN; path <= PATH_AVX512; path++) {
    if (!path_supported(path)) continue;
    napi_create_string_utf8(env, PATH_NAMES[path], NAPI_AUTO_LENGTH, &value);
    napi_set_element(env, paths, count++, value);
  }
  napi_set_named_property(env, result, "paths", paths);
  return result;
}

void subflow_register_packed(napi_env env, napi_value exports) {
  export_function(env, exports, "packPanels", pack_panels_fn);
  export_function(env, exports, "packedMatMul", packed_matmul_fn);
  export_function(env, exports, "packedFeatures", packed_features);
}
