// int8 kernels for quantised models (`export-model --dtype int8`): weights are int8 with one float
// scale per output row, activations are quantised per row on the fly (scale max|x| / 127), products
// accumulate exactly in int32, and the result is acc · s_x · s_w (+ bias).
//
// Wide products quantise the activations to 15 bits instead (scale max|x| / 16383) and split each
// value v into two int8 halves, v = 256·hi + lo, so that the same int8 products run twice and
// 256·acc(hi) + acc(lo) is the exact 15-bit × 8-bit product: the decoder step uses them for its
// hidden-state, attention and output products, where 8-bit activations alone cost more agreement
// with the float model than the int8 weights do (docs/smaller-models.md).
//
// Three paths compute the same integers: AVX-512 VNNI (vpdpbusd on weights packed 16 outputs × 4
// inputs, activations shifted to unsigned and corrected by 128·Σw), the compiler-vectorised loop
// (AVX2 / SSE4.1 clones, as subflow_native.c's loops), and the plain C loop the others are tested
// against. The fastest the CPU has is picked at run time; `path` forces one (for tests and A/B runs).
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "subflow_native.h"
#include "subflow_shared.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define INT8_CLONES __attribute__((target_clones("arch=x86-64-v3", "arch=x86-64-v2", "default")))
#define HAVE_VNNI_PATH 1
#include <immintrin.h>
#else
#define INT8_CLONES
#define HAVE_VNNI_PATH 0
#endif

enum { PATH_AUTO = 0, PATH_PLAIN = 1, PATH_VECTOR = 2, PATH_VNNI = 3 };
// Outputs and inputs per block of the packed (VNNI) layout.
enum { BLOCK_N = 16, BLOCK_K = 4 };

// An int8 matrix as int8Kernels.ts hands it over: data [n, k] (one row per output), scales [n],
// and the VNNI layout: packed [⌈n/16⌉][⌈k/4⌉][16][4] with row sums [n].
typedef struct {
  long n, k;
  const int8_t *data;
  const float *scales;
  const int8_t *packed;
  const int32_t *sums;
} Int8Matrix;

// Scratch memory reused across calls (the addon runs on the JS thread only): a fresh malloc of a
// [rows, vocab] int32 block per product costs page faults every decoding step.
static void *scratch_block(int slot, size_t bytes) {
  static void *blocks[7];
  static size_t sizes[7];
  if (sizes[slot] < bytes) {
    free(blocks[slot]);
    blocks[slot] = malloc(bytes);
    if (blocks[slot] == NULL) abort();
    sizes[slot] = bytes;
  }
  return blocks[slot];
}

// Asked by every product of every decoder step: the CPU's answer is read once (the addon runs on the JS
// thread only).
static bool vnni_supported(void) {
#if HAVE_VNNI_PATH
  static int known = -1;
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vnni");
  }
  return known == 1;
#else
  return false;
#endif
}

// Per row of x [rows, k]: scale = max|x| / 127 and q = round(x / scale) in [−127, 127]; an all-zero
// row gets scale 0 and q = 0.
INT8_CLONES static void quantize_rows(const float *restrict x, long rows, long k, int8_t *restrict q,
                                      float *restrict scales) {
  for (long r = 0; r < rows; r++) {
    const float *restrict xr = x + r * k;
    float max = 0.0f;
    for (long p = 0; p < k; p++) max = fmaxf(max, fabsf(xr[p]));
    const float scale = max / 127.0f;
    scales[r] = scale;
    const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (long p = 0; p < k; p++) {
      float v = nearbyintf(xr[p] * inverse);
      v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
      q[r * k + p] = (int8_t)v;
    }
  }
}

enum { WIDE_MAX = 16383 };

// Per row of x [rows, k]: scale = max|x| / 16383 and v = round(x / scale) in [−16383, 16383], split
// into v = 256·hi + lo with lo in [−128, 127] and hi in [−64, 64]; an all-zero row gets scale 0.
INT8_CLONES static void quantize_rows_wide(const float *restrict x, long rows, long k, int8_t *restrict hi,
                                           int8_t *restrict lo, float *restrict scales) {
  for (long r = 0; r < rows; r++) {
    const float *restrict xr = x + r * k;
    float max = 0.0f;
    for (long p = 0; p < k; p++) max = fmaxf(max, fabsf(xr[p]));
    const float scale = max / (float)WIDE_MAX;
    scales[r] = scale;
    const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (long p = 0; p < k; p++) {
      float v = nearbyintf(xr[p] * inverse);
      v = v > (float)WIDE_MAX ? (float)WIDE_MAX : v < -(float)WIDE_MAX ? -(float)WIDE_MAX : v;
      const int32_t i = (int32_t)v, h = (i + 128) >> 8; // arithmetic shift: floor division
      hi[r * k + p] = (int8_t)h;
      lo[r * k + p] = (int8_t)(i - 256 * h);
    }
  }
}

// acc[r, j] = Σ_p q[r, p] · w[j, p], the reference every other path must equal.
static void accumulate_plain(const int8_t *q, long rows, const Int8Matrix *w, int32_t *acc) {
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < w->n; j++) {
      int32_t sum = 0;
      for (long p = 0; p < w->k; p++) sum += (int32_t)q[r * w->k + p] * (int32_t)w->data[j * w->k + p];
      acc[r * w->n + j] = sum;
    }
}

// The same loop, compiled per instruction set (sign-extend and vpmaddwd on AVX2).
INT8_CLONES static void accumulate_vector(const int8_t *restrict q, long rows, long n, long k,
                                          const int8_t *restrict data, int32_t *restrict acc) {
  for (long r = 0; r < rows; r++) {
    const int8_t *restrict qr = q + r * k;
    for (long j = 0; j < n; j++) {
      const int8_t *restrict wj = data + j * k;
      int32_t sum = 0;
      for (long p = 0; p < k; p++) sum += (int32_t)qr[p] * (int32_t)wj[p];
      acc[r * n + j] = sum;
    }
  }
}

#if HAVE_VNNI_PATH
// vpdpbusd multiplies unsigned by signed bytes: with u = q + 128, Σ u·w = Σ q·w + 128·Σ w, so the
// row sums give back the exact signed product. Four activation rows share each weight load.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void accumulate_vnni(
    const int8_t *q, long rows, const Int8Matrix *w, int32_t *acc) {
  const long k4 = (w->k + BLOCK_K - 1) / BLOCK_K, n16 = (w->n + BLOCK_N - 1) / BLOCK_N;
  uint8_t *u = scratch_block(3, (size_t)(rows * k4 * BLOCK_K) + 1);
  for (long r = 0; r < rows; r++) {
    uint8_t *ur = u + r * k4 * BLOCK_K;
    for (long p = 0; p < w->k; p++) ur[p] = (uint8_t)(q[r * w->k + p] + 128);
    for (long p = w->k; p < k4 * BLOCK_K; p++) ur[p] = 128; // padded weights are 0
  }
  int32_t out[4][BLOCK_N];
  for (long jb = 0; jb < n16; jb++) {
    const int8_t *block = w->packed + jb * k4 * BLOCK_N * BLOCK_K;
    __m512i correction = _mm512_setzero_si512();
    int32_t sums[BLOCK_N];
    for (long jj = 0; jj < BLOCK_N; jj++) {
      const long j = jb * BLOCK_N + jj;
      sums[jj] = j < w->n ? 128 * w->sums[j] : 0;
    }
    correction = _mm512_loadu_si512(sums);
    for (long r0 = 0; r0 < rows; r0 += 4) {
      const long count = rows - r0 < 4 ? rows - r0 : 4;
      __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
      const uint8_t *u0 = u + r0 * k4 * BLOCK_K;
      const long stride = k4 * BLOCK_K;
      for (long p4 = 0; p4 < k4; p4++) {
        const __m512i wv = _mm512_loadu_si512(block + p4 * BLOCK_N * BLOCK_K);
        int32_t word;
        memcpy(&word, u0 + p4 * 4, 4);
        a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32(word), wv);
        if (count > 1) {
          memcpy(&word, u0 + stride + p4 * 4, 4);
          a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32(word), wv);
        }
        if (count > 2) {
          memcpy(&word, u0 + 2 * stride + p4 * 4, 4);
          a2 = _mm512_dpbusd_epi32(a2, _mm512_set1_epi32(word), wv);
        }
        if (count > 3) {
          memcpy(&word, u0 + 3 * stride + p4 * 4, 4);
          a3 = _mm512_dpbusd_epi32(a3, _mm512_set1_epi32(word), wv);
        }
      }
      _mm512_storeu_si512(out[0], _mm512_sub_epi32(a0, correction));
      _mm512_storeu_si512(out[1], _mm512_sub_epi32(a1, correction));
      _mm512_storeu_si512(out[2], _mm512_sub_epi32(a2, correction));
      _mm512_storeu_si512(out[3], _mm512_sub_epi32(a3, correction));
      const long width = w->n - jb * BLOCK_N < BLOCK_N ? w->n - jb * BLOCK_N : BLOCK_N;
      for (long rr = 0; rr < count; rr++)
        memcpy(acc + (r0 + rr) * w->n + jb * BLOCK_N, out[rr], sizeof(int32_t) * width);
    }
  }
}

// Activation rows as vpdpbusd takes them: u = q + 128, each row padded to ⌈k/4⌉·4 with 128 (the
// padded weights are 0, and the row sums correct for the shift).
static uint8_t *unsigned_rows(int slot, const int8_t *q, long rows, long k, long stride) {
  uint8_t *u = scratch_block(slot, (size_t)(rows * stride) + 1);
  for (long r = 0; r < rows; r++) {
    uint8_t *ur = u + r * stride;
    for (long p = 0; p < k; p++) ur[p] = (uint8_t)(q[r * k + p] + 128);
    for (long p = k; p < stride; p++) ur[p] = 128;
  }
  return u;
}

// quantize_rows_wide and unsigned_rows in one pass, for the VNNI path: the same integers (the same
// float operations, rounded to nearest like nearbyintf), stored as u = half + 128 in rows padded to
// `stride` with 128. For the smaller products of a step these passes cost more than the products did.
__attribute__((target("avx512f,avx512bw"))) static void quantize_rows_wide_unsigned(
    const float *x, long rows, long k, long stride, uint8_t *u_hi, uint8_t *u_lo, float *scales) {
  const __m512i offset = _mm512_set1_epi32(128);
  for (long r = 0; r < rows; r++) {
    const float *xr = x + r * k;
    __m512 vmax = _mm512_setzero_ps();
    long p = 0;
    for (; p + 16 <= k; p += 16) vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(xr + p)));
    float max = _mm512_reduce_max_ps(vmax);
    for (; p < k; p++) max = fmaxf(max, fabsf(xr[p]));
    const float scale = max / (float)WIDE_MAX;
    scales[r] = scale;
    const __m512 inverse = _mm512_set1_ps(scale > 0.0f ? 1.0f / scale : 0.0f);
    const __m512 limit = _mm512_set1_ps((float)WIDE_MAX), floor_limit = _mm512_set1_ps(-(float)WIDE_MAX);
    uint8_t *hr = u_hi + r * stride, *lr = u_lo + r * stride;
    for (p = 0; p < k; p += 16) {
      const __mmask16 lanes = k - p >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - p)) - 1u);
      __m512 v = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, xr + p), inverse),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      v = _mm512_max_ps(_mm512_min_ps(v, limit), floor_limit);
      const __m512i i = _mm512_cvtps_epi32(v);
      const __m512i h = _mm512_srai_epi32(_mm512_add_epi32(i, offset), 8);
      const __m512i l = _mm512_sub_epi32(i, _mm512_slli_epi32(h, 8));
      _mm512_mask_cvtepi32_storeu_epi8(hr + p, lanes, _mm512_add_epi32(h, offset));
      _mm512_mask_cvtepi32_storeu_epi8(lr + p, lanes, _mm512_add_epi32(l, offset));
    }
    for (p = k; p < stride; p++) hr[p] = lr[p] = 128;
  }
}

// The product with dequantisation fused in: out[r, j] = (256·acc_hi + acc_lo)·s_x[r]·s_w[j] + bias[j]
// (acc_hi alone when `wide` is false), one block of 4 rows × 16 outputs at a time, both halves against
// one load of the weights, and no int32 [rows, n] arrays: for the output product those were 2 × 5 MB
// written and read back per step, more than the products' own time.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline void product_vnni_rows(
    const uint8_t *u_hi, const uint8_t *u_lo, long rows, const Int8Matrix *w, const float *x_scales,
    const float *bias, float *out, const bool wide) {
  const long k4 = (w->k + BLOCK_K - 1) / BLOCK_K, n16 = (w->n + BLOCK_N - 1) / BLOCK_N;
  const long stride = k4 * BLOCK_K;
  for (long jb = 0; jb < n16; jb++) {
    const long width = w->n - jb * BLOCK_N < BLOCK_N ? w->n - jb * BLOCK_N : BLOCK_N;
    const __mmask16 lanes = (__mmask16)((1u << width) - 1u);
    const __m512i correction = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(lanes, w->sums + jb * BLOCK_N), 7);
    const __m512 w_scales = _mm512_maskz_loadu_ps(lanes, w->scales + jb * BLOCK_N);
    const __m512 biases = bias != NULL ? _mm512_maskz_loadu_ps(lanes, bias + jb * BLOCK_N) : _mm512_setzero_ps();
    const int8_t *block = w->packed + jb * k4 * BLOCK_N * BLOCK_K;
    for (long r0 = 0; r0 < rows; r0 += 4) {
      // Rows past the end repeat the last one: computed, never stored, and no branch in the loop.
      const long last = rows - 1;
      const long r1 = r0 + 1 <= last ? r0 + 1 : last, r2 = r0 + 2 <= last ? r0 + 2 : last,
                 r3 = r0 + 3 <= last ? r0 + 3 : last;
      const uint8_t *h0 = u_hi + r0 * stride, *h1 = u_hi + r1 * stride, *h2 = u_hi + r2 * stride,
                    *h3 = u_hi + r3 * stride;
      const uint8_t *l0 = wide ? u_lo + r0 * stride : NULL, *l1 = wide ? u_lo + r1 * stride : NULL,
                    *l2 = wide ? u_lo + r2 * stride : NULL, *l3 = wide ? u_lo + r3 * stride : NULL;
      __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (long p4 = 0; p4 < k4; p4++) {
        const __m512i wv = _mm512_loadu_si512(block + p4 * BLOCK_N * BLOCK_K);
        int32_t word;
#define DOT(acc, row)                                      \
  memcpy(&word, (row) + p4 * BLOCK_K, 4);                  \
  acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(word), wv);
        DOT(a0, h0) DOT(a1, h1) DOT(a2, h2) DOT(a3, h3)
        if (wide) { DOT(b0, l0) DOT(b1, l1) DOT(b2, l2) DOT(b3, l3) }
#undef DOT
      }
      const __m512i his[4] = {a0, a1, a2, a3}, los[4] = {b0, b1, b2, b3};
      for (long i = 0; i < 4 && r0 + i < rows; i++) {
        __m512 value = _mm512_cvtepi32_ps(_mm512_sub_epi32(his[i], correction));
        if (wide)
          value = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(256.0f), value),
                                _mm512_cvtepi32_ps(_mm512_sub_epi32(los[i], correction)));
        const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(x_scales[r0 + i]), w_scales);
        _mm512_mask_storeu_ps(out + (r0 + i) * w->n + jb * BLOCK_N, lanes,
                              _mm512_add_ps(_mm512_mul_ps(value, scale), biases));
      }
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void product_vnni_wide(
    const uint8_t *u_hi, const uint8_t *u_lo, long rows, const Int8Matrix *w, const float *x_scales,
    const float *bias, float *out) {
  product_vnni_rows(u_hi, u_lo, rows, w, x_scales, bias, out, true);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void product_vnni_narrow(
    const uint8_t *u, long rows, const Int8Matrix *w, const float *x_scales, const float *bias, float *out) {
  product_vnni_rows(u, NULL, rows, w, x_scales, bias, out, false);
}
#endif

// Runs `path` (PATH_AUTO: the fastest this CPU has); false when that path cannot run here.
static bool accumulate(const int8_t *q, long rows, const Int8Matrix *w, int32_t *acc, int path) {
  if (path == PATH_AUTO) path = vnni_supported() && w->packed != NULL ? PATH_VNNI : PATH_VECTOR;
  switch (path) {
    case PATH_PLAIN:
      accumulate_plain(q, rows, w, acc);
      return true;
    case PATH_VECTOR:
      accumulate_vector(q, rows, w->n, w->k, w->data, acc);
      return true;
#if HAVE_VNNI_PATH
    case PATH_VNNI:
      if (!vnni_supported() || w->packed == NULL) return false;
      accumulate_vnni(q, rows, w, acc);
      return true;
#endif
    default:
      return false;
  }
}

// out[r, j] = acc[r, j] · s_x[r] · s_w[j] + (bias[j] or 0).
INT8_CLONES static void dequantize_into(const int32_t *restrict acc, const float *restrict x_scales,
                                        const float *restrict w_scales, long rows, long n,
                                        const float *restrict bias, float *restrict out) {
  for (long r = 0; r < rows; r++) {
    const float xs = x_scales[r];
    for (long j = 0; j < n; j++)
      out[r * n + j] = (float)acc[r * n + j] * (xs * w_scales[j]) + (bias != NULL ? bias[j] : 0.0f);
  }
}

// out[r, j] = (256·hi[r, j] + lo[r, j]) · s_x[r] · s_w[j] + (bias[j] or 0); the int32 accumulators
// cannot overflow (|acc| ≤ 128·127·k), and the float sum rounds once like the 8-bit product's.
INT8_CLONES static void dequantize_wide_into(const int32_t *restrict hi, const int32_t *restrict lo,
                                             const float *restrict x_scales, const float *restrict w_scales,
                                             long rows, long n, const float *restrict bias,
                                             float *restrict out) {
  for (long r = 0; r < rows; r++) {
    const float xs = x_scales[r];
    for (long j = 0; j < n; j++)
      out[r * n + j] = (256.0f * (float)hi[r * n + j] + (float)lo[r * n + j]) * (xs * w_scales[j]) +
                       (bias != NULL ? bias[j] : 0.0f);
  }
}

#if HAVE_VNNI_PATH
// Whether a product runs on the fused VNNI kernel: the VNNI path, asked for or chosen by PATH_AUTO.
static bool fused_vnni(const Int8Matrix *w, int path) {
  return (path == PATH_AUTO || path == PATH_VNNI) && w->packed != NULL && vnni_supported();
}
#endif

// The wide product: out = x·Wᵀ (+ bias) with x quantised per row to 15 bits (see the top).
static bool int8_product_wide(const float *x, long rows, const Int8Matrix *w, const float *bias, float *out,
                              int path) {
  float *scales = scratch_block(1, sizeof(float) * (size_t)rows + 1);
#if HAVE_VNNI_PATH
  if (fused_vnni(w, path)) {
    const long stride = (w->k + BLOCK_K - 1) / BLOCK_K * BLOCK_K;
    uint8_t *u_hi = scratch_block(3, (size_t)(rows * stride) + 1);
    uint8_t *u_lo = scratch_block(6, (size_t)(rows * stride) + 1);
    quantize_rows_wide_unsigned(x, rows, w->k, stride, u_hi, u_lo, scales);
    product_vnni_wide(u_hi, u_lo, rows, w, scales, bias, out);
    return true;
  }
#endif
  int8_t *hi = scratch_block(0, (size_t)(2 * rows * w->k) + 1), *lo = hi + rows * w->k;
  int32_t *acc_hi = scratch_block(2, sizeof(int32_t) * (size_t)(rows * w->n) + 1);
  int32_t *acc_lo = scratch_block(4, sizeof(int32_t) * (size_t)(rows * w->n) + 1);
  quantize_rows_wide(x, rows, w->k, hi, lo, scales);
  const bool ran = accumulate(hi, rows, w, acc_hi, path) && accumulate(lo, rows, w, acc_lo, path);
  if (ran) dequantize_wide_into(acc_hi, acc_lo, scales, w->scales, rows, w->n, bias, out);
  return ran;
}

// out = (q·s_x)·Wᵀ (+ bias) for activations already quantised, q [rows, k] with scales s_x [rows].
static bool int8_product_quantized(const int8_t *q, const float *scales, long rows, const Int8Matrix *w,
                                   const float *bias, float *out, int path) {
#if HAVE_VNNI_PATH
  if (fused_vnni(w, path)) {
    const long stride = (w->k + BLOCK_K - 1) / BLOCK_K * BLOCK_K;
    product_vnni_narrow(unsigned_rows(3, q, rows, w->k, stride), rows, w, scales, bias, out);
    return true;
  }
#endif
  int32_t *acc = scratch_block(2, sizeof(int32_t) * (size_t)(rows * w->n) + 1);
  const bool ran = accumulate(q, rows, w, acc, path);
  if (ran) dequantize_into(acc, scales, w->scales, rows, w->n, bias, out);
  return ran;
}

// out = x·Wᵀ (+ bias) for x [rows, k] float, quantising x per row; false when `path` cannot run.
static bool int8_product(const float *x, long rows, const Int8Matrix *w, const float *bias, float *out,
                         int path) {
  int8_t *q = scratch_block(0, (size_t)(rows * w->k) + 1);
  float *scales = scratch_block(1, sizeof(float) * (size_t)rows + 1);
  quantize_rows(x, rows, w->k, q, scales);
  return int8_product_quantized(q, scales, rows, w, bias, out, path);
}

// ---- N-API glue ----

static bool is_null(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  return type == napi_null || type == napi_undefined;
}

static long long_arg(napi_env env, napi_value value) {
  int64_t result = 0;
  napi_get_value_int64(env, value, &result);
  return (long)result;
}

// Reads { n, k, data, scales, packed?, sums? } and checks the lengths.
static bool matrix_arg(napi_env env, napi_value object, Int8Matrix *m) {
  napi_value v;
  size_t len = 0, scales_len = 0;
  napi_get_named_property(env, object, "n", &v);
  m->n = long_arg(env, v);
  napi_get_named_property(env, object, "k", &v);
  m->k = long_arg(env, v);
  napi_get_named_property(env, object, "data", &v);
  if (!typed_array(env, v, napi_int8_array, (void **)&m->data, &len)) return false;
  napi_get_named_property(env, object, "scales", &v);
  if (!typed_array(env, v, napi_float32_array, (void **)&m->scales, &scales_len)) return false;
  if (m->n < 1 || m->k < 1 || len < (size_t)(m->n * m->k) || scales_len < (size_t)m->n) {
    napi_throw_error(env, NULL, "int8 kernels: matrix shape does not fit its arrays");
    return false;
  }
  m->packed = NULL;
  m->sums = NULL;
  napi_get_named_property(env, object, "packed", &v);
  if (!is_null(env, v)) {
    size_t packed_len = 0, sums_len = 0;
    if (!typed_array(env, v, napi_int8_array, (void **)&m->packed, &packed_len)) return false;
    napi_get_named_property(env, object, "sums", &v);
    if (!typed_array(env, v, napi_int32_array, (void **)&m->sums, &sums_len)) return false;
    const long k4 = (m->k + 3) / 4, n16 = (m->n + 15) / 16;
    if (packed_len < (size_t)(n16 * k4 * 64) || sums_len < (size_t)m->n) {
      napi_throw_error(env, NULL, "int8 kernels: packed layout does not fit the matrix");
      return false;
    }
  }
  return true;
}

// int8Pack({ n, k, data }, packed, sums): the VNNI layout and row sums of data [n, k].
static napi_value int8_pack(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 3) return throw_error(env, "int8Pack: expected 3 arguments");
  Int8Matrix m;
  if (!matrix_arg(env, args[0], &m)) return NULL;
  int8_t *packed;
  int32_t *sums;
  size_t packed_len, sums_len;
  if (!typed_array(env, args[1], napi_int8_array, (void **)&packed, &packed_len) ||
      !typed_array(env, args[2], napi_int32_array, (void **)&sums, &sums_len))
    return NULL;
  const long k4 = (m.k + 3) / 4, n16 = (m.n + 15) / 16;
  if (packed_len < (size_t)(n16 * k4 * 64) || sums_len < (size_t)m.n)
    return throw_error(env, "int8Pack: outputs too short");
  memset(packed, 0, (size_t)(n16 * k4 * 64));
  for (long j = 0; j < m.n; j++) {
    int32_t sum = 0;
    for (long p = 0; p < m.k; p++) {
      const int8_t v = m.data[j * m.k + p];
      sum += v;
      packed[(((j / BLOCK_N) * k4 + p / BLOCK_K) * BLOCK_N + j % BLOCK_N) * BLOCK_K + p % BLOCK_K] = v;
    }
    sums[j] = sum;
  }
  return NULL;
}

// quantizeRows(x, rows, k, q, scales): the per-row activation quantisation the products use.
static napi_value quantize_rows_fn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 5) return throw_error(env, "quantizeRows: expected 5 arguments");
  float *x, *scales;
  int8_t *q;
  size_t x_len, q_len, s_len;
  if (!typed_array(env, args[0], napi_float32_array, (void **)&x, &x_len) ||
      !typed_array(env, args[3], napi_int8_array, (void **)&q, &q_len) ||
      !typed_array(env, args[4], napi_float32_array, (void **)&scales, &s_len))
    return NULL;
  const long rows = long_arg(env, args[1]), k = long_arg(env, args[2]);
  if (rows < 0 || k < 1 || x_len < (size_t)(rows * k) || q_len < (size_t)(rows * k) || s_len < (size_t)rows)
    return throw_error(env, "quantizeRows: shapes do not fit the arrays");
  quantize_rows(x, rows, k, q, scales);
  return NULL;
}

// quantizeRowsWide(x, rows, k, hi, lo, scales): the 15-bit activation quantisation of wide products.
static napi_value quantize_rows_wide_fn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 6) return throw_error(env, "quantizeRowsWide: expected 6 arguments");
  float *x, *scales;
  int8_t *hi, *lo;
  size_t x_len, hi_len, lo_len, s_len;
  if (!typed_array(env, args[0], napi_float32_array, (void **)&x, &x_len) ||
      !typed_array(env, args[3], napi_int8_array, (void **)&hi, &hi_len) ||
      !typed_array(env, args[4], napi_int8_array, (void **)&lo, &lo_len) ||
      !typed_array(env, args[5], napi_float32_array, (void **)&scales, &s_len))
    return NULL;
  const long rows = long_arg(env, args[1]), k = long_arg(env, args[2]);
  if (rows < 0 || k < 1 || x_len < (size_t)(rows * k) || hi_len < (size_t)(rows * k) ||
      lo_len < (size_t)(rows * k) || s_len < (size_t)rows)
    return throw_error(env, "quantizeRowsWide: shapes do not fit the arrays");
  quantize_rows_wide(x, rows, k, hi, lo, scales);
  return NULL;
}

// int8Accumulate(q, rows, matrix, acc, path): the exact int32 products q [rows, k] · Wᵀ → [rows, n].
static napi_value int8_accumulate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 5) return throw_error(env, "int8Accumulate: expected 5 arguments");
  int8_t *q;
  int32_t *acc;
  size_t q_len, acc_len;
  Int8Matrix m;
  if (!typed_array(env, args[0], napi_int8_array, (void **)&q, &q_len) || !matrix_arg(env, args[2], &m) ||
      !typed_array(env, args[3], napi_int32_array, (void **)&acc, &acc_len))
    return NULL;
  const long rows = long_arg(env, args[1]);
  if (rows < 0 || q_len < (size_t)(rows * m.k) || acc_len < (size_t)(rows * m.n))
    return throw_error(env, "int8Accumulate: shapes do not fit the arrays");
  if (!accumulate(q, rows, &m, acc, (int)long_arg(env, args[4])))
    return throw_error(env, "int8Accumulate: that path cannot run on this CPU");
  return NULL;
}

// int8MatMul(x, rows, matrix, bias|null, out, path, wide): out = quantised(x)·Wᵀ dequantised (+ bias),
// x quantised to 8 bits, or to 15 bits when `wide`.
static napi_value int8_matmul(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 7) return throw_error(env, "int8MatMul: expected 7 arguments");
  float *x, *out, *bias = NULL;
  size_t x_len, out_len, bias_len = 0;
  Int8Matrix m;
  if (!typed_array(env, args[0], napi_float32_array, (void **)&x, &x_len) || !matrix_arg(env, args[2], &m) ||
      !typed_array(env, args[4], napi_float32_array, (void **)&out, &out_len))
    return NULL;
  if (!is_null(env, args[3]) && !typed_array(env, args[3], napi_float32_array, (void **)&bias, &bias_len))
    return NULL;
  const long rows = long_arg(env, args[1]);
  if (rows < 0 || x_len < (size_t)(rows * m.k) || out_len < (size_t)(rows * m.n) ||
      (bias != NULL && bias_len < (size_t)m.n))
    return throw_error(env, "int8MatMul: shapes do not fit the arrays");
  bool wide = false;
  napi_get_value_bool(env, args[6], &wide);
  const int path = (int)long_arg(env, args[5]);
  if (!(wide ? int8_product_wide(x, rows, &m, bias, out, path) : int8_product(x, rows, &m, bias, out, path)))
    return throw_error(env, "int8MatMul: that path cannot run on this CPU");
  return NULL;
}

// decoderStepInt8(ids, h, c, keys, values, mask, bias, outBias, logits, hOut, cOut, weights,
//   embedding, kernel, recurrent, combine, out, rows, srcLen, units, valueDim, path): decoderStep of
// subflow_native.c with every matrix int8 (kernel/recurrent/combine/out as Wᵀ [outputs, inputs],
// the embedding [vocab, emb] dequantised row by row). The embedding product takes the int8 rows as its
// activations (no requantising); the others are wide.
static napi_value decoder_step_int8(napi_env env, napi_callback_info info) {
  size_t argc = 22;
  napi_value args[22];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 22) return throw_error(env, "decoderStepInt8: expected 22 arguments");
  int32_t *ids;
  size_t ids_len, len[11];
  float *a[11];
  if (!typed_array(env, args[0], napi_int32_array, (void **)&ids, &ids_len)) return NULL;
  for (int i = 0; i < 11; i++)
    if (!typed_array(env, args[1 + i], napi_float32_array, (void **)&a[i], &len[i])) return NULL;
  Int8Matrix embedding, kernel, recurrent, combine, out;
  if (!matrix_arg(env, args[12], &embedding) || !matrix_arg(env, args[13], &kernel) ||
      !matrix_arg(env, args[14], &recurrent) || !matrix_arg(env, args[15], &combine) ||
      !matrix_arg(env, args[16], &out))
    return NULL;
  const long rows = long_arg(env, args[17]), src_len = long_arg(env, args[18]), units = long_arg(env, args[19]),
             value_dim = long_arg(env, args[20]);
  const int path = (int)long_arg(env, args[21]);
  const long emb = embedding.k, gates = 4 * units, comb = value_dim + units, att = combine.n, vocab = out.n;
  if (rows < 1 || src_len < 1 || units < 1 || value_dim < 1 || ids_len < (size_t)rows ||
      kernel.k != emb || kernel.n != gates || recurrent.k != units || recurrent.n != gates ||
      combine.k != comb || out.k != att || len[0] < (size_t)(rows * units) || len[1] < (size_t)(rows * units) ||
      len[2] < (size_t)(rows * src_len * units) || len[3] < (size_t)(rows * src_len * value_dim) ||
      len[4] < (size_t)(rows * src_len) || len[5] < (size_t)gates || len[6] < (size_t)vocab ||
      len[7] < (size_t)(rows * vocab) || len[8] < (size_t)(rows * units) || len[9] < (size_t)(rows * units) ||
      len[10] < (size_t)(rows * src_len))
    return throw_error(env, "decoderStepInt8: shapes do not fit the arrays");
  for (long r = 0; r < rows; r++)
    if (ids[r] < 0 || ids[r] >= embedding.n)
      return throw_error(env, "decoderStepInt8: token id outside the embedding");
  const float *h = a[0], *c = a[1], *keys = a[2], *values = a[3], *mask = a[4], *bias = a[5], *out_bias = a[6];
  float *logits = a[7], *h_out = a[8], *c_out = a[9], *weights = a[10];
  float *scratch = malloc(sizeof(float) * (2 * rows * gates + rows * comb + 2 * rows * att + rows));
  if (scratch == NULL) return throw_error(env, "decoderStepInt8: out of memory");
  float *xp = scratch, *hu = xp + rows * gates, *combined = hu + rows * gates,
        *pre_tanh = combined + rows * comb, *attentional = pre_tanh + rows * att,
        *x_scales = attentional + rows * att;
  // The embedding rows are int8 already: they are the product's quantised activations as they are.
  int8_t *x = scratch_block(5, (size_t)(rows * emb) + 1);
  for (long r = 0; r < rows; r++) {
    memcpy(x + r * emb, embedding.data + (long)ids[r] * emb, (size_t)emb);
    x_scales[r] = embedding.scales[ids[r]];
  }
  bool ran = int8_product_quantized(x, x_scales, rows, &kernel, bias, xp, path) &&
             int8_product_wide(h, rows, &recurrent, NULL, hu, path);
  if (ran) {
    subflow_lstm_rows(xp, hu, c, h_out, c_out, rows, units);
    subflow_attention_rows(h_out, keys, values, mask, combined, weights, rows, src_len, units, value_dim);
    ran = int8_product_wide(combined, rows, &combine, NULL, pre_tanh, path);
  }
  if (ran) {
    subflow_tanh(pre_tanh, attentional, rows * att);
    ran = int8_product_wide(attentional, rows, &out, out_bias, logits, path);
  }
  free(scratch);
  if (!ran) return throw_error(env, "decoderStepInt8: that path cannot run on this CPU");
  return NULL;
}

// int8Features() → { vnni, path }: whether the VNNI path can run, and the name of the auto path.
static napi_value int8_features(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, value;
  napi_create_object(env, &result);
  const bool vnni = vnni_supported();
  napi_get_boolean(env, vnni, &value);
  napi_set_named_property(env, result, "vnni", value);
#if HAVE_VNNI_PATH
  __builtin_cpu_init();
  const char *name = vnni ? "AVX-512 VNNI" : __builtin_cpu_supports("avx2") ? "AVX2" : "SSE/C";
#else
  const char *name = "C";
#endif
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "path", value);
  return result;
}

void subflow_register_int8(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } FUNCTIONS[] = {{"int8Pack", int8_pack},           {"quantizeRows", quantize_rows_fn},
                   {"quantizeRowsWide", quantize_rows_wide_fn},
                   {"int8Accumulate", int8_accumulate}, {"int8MatMul", int8_matmul},
                   {"decoderStepInt8", decoder_step_int8}, {"int8Features", int8_features}};
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++) {
    napi_value fn;
    napi_create_function(env, FUNCTIONS[i].name, NAPI_AUTO_LENGTH, FUNCTIONS[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, FUNCTIONS[i].name, fn);
  }
}
