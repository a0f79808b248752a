// subflow's native kernels for the tfjs wasm and cpu backends, on typed-array views of tensor
// memory (zero copies): single-precision matrix products through the machine's OpenBLAS (loaded by
// blas_load.c), and the loops that dominate once the products are fast (LSTM cell and its
// gradient, log-softmax, tanh, per-row top k from logits, a step of
// attention, a whole decoder step) with a polynomial exp that the compiler can vectorise.
#define _GNU_SOURCE
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "subflow_shared.h"

#include "approx_math.h"
#include "subflow_native.h"


// Activations tfjs's _FusedMatMul can ask for and this addon applies itself.
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_SIGMOID = 2 };

napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// A typed-array argument's data and length when it has the expected element type; false (with a
// JS TypeError pending) otherwise.
bool typed_array(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_typedarray_type type = napi_float64_array;
  if (is_typed) napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL);
  if (!is_typed || type != expected) {
    napi_throw_type_error(env, NULL,
                          expected == napi_int32_array  ? "expected an Int32Array"
                          : expected == napi_int8_array ? "expected an Int8Array"
                                                        : "expected a Float32Array");
    return false;
  }
  return true;
}

bool float_array(napi_env env, napi_value value, float **data, size_t *length) {
  return typed_array(env, value, napi_float32_array, (void **)data, length);
}

bool optional_floats(napi_env env, napi_value value, float **data, size_t *length) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  *data = NULL;
  *length = 0;
  return type == napi_null || type == napi_undefined || float_array(env, value, data, length);
}

bool int_array(napi_env env, napi_value value, int32_t **data, size_t *length) {
  return typed_array(env, value, napi_int32_array, (void **)data, length);
}

bool optional_ints(napi_env env, napi_value value, int32_t **data, size_t *length) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  *data = NULL;
  *length = 0;
  return type == napi_null || type == napi_undefined || int_array(env, value, data, length);
}

int int_arg(napi_env env, napi_value value) {
  int32_t result = 0;
  napi_get_value_int32(env, value, &result);
  return result;
}

double double_arg(napi_env env, napi_value value) {
  double result = 0.0;
  napi_get_value_double(env, value, &result);
  return result;
}

bool bool_arg(napi_env env, napi_value value) {
  bool result = false;
  napi_get_value_bool(env, value, &result);
  return result;
}

// c += op(a)·op(b) by plain loops, for products too small to repay a cblas_sgemm call (its setup
// costs ≈5 µs: attention's [1, 512]·[512, srcLen] per beam row is 160 such calls per step).
CLONES static void small_gemm(bool trans_a, bool trans_b, int m, int n, int k, const float *restrict a,
                              const float *restrict b, float *restrict c) {
  for (int i = 0; i < m; i++) {
    float *restrict ci = c + (long)i * n;
    if (!trans_b) {
      for (int p = 0; p < k; p++) {
        const float av = trans_a ? a[(long)p * m + i] : a[(long)i * k + p];
        const float *restrict bp = b + (long)p * n;
        for (int j = 0; j < n; j++) ci[j] += av * bp[j];
      }
    } else {
      for (int j = 0; j < n; j++) {
        const float *restrict bj = b + (long)j * k;
        float sum = 0.0f;
        if (!trans_a) {
          const float *restrict ai = a + (long)i * k;
          for (int p = 0; p < k; p++) sum += ai[p] * bj[p];
        } else {
          for (int p = 0; p < k; p++) sum += a[(long)p * m + i] * bj[p];
        }
        ci[j] += sum;
      }
    }
  }
}

// Products up to this many multiply-adds run as small_gemm loops instead of cblas_sgemm.
#define SMALL_GEMM_MACS 32768L

// gemm(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, bias|null, activation)
// out[i] = act(op(a[i]) · op(b[i]) + bias) for i < batch, row-major; a batch stride of 0
// broadcasts that operand. bias (length n) may be null.
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value args[13];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 13) return throw_error(env, "gemm: expected 13 arguments");
  if (blas_sgemm == NULL) return throw_error(env, load_error);
  float *a, *b, *out, *bias = NULL;
  size_t a_len, b_len, out_len, bias_len = 0;
  if (!float_array(env, args[0], &a, &a_len) || !float_array(env, args[1], &b, &b_len) ||
      !float_array(env, args[2], &out, &out_len))
    return NULL;
  const int batch = int_arg(env, args[3]), m = int_arg(env, args[4]), n = int_arg(env, args[5]),
            k = int_arg(env, args[6]);
  const bool trans_a = bool_arg(env, args[7]), trans_b = bool_arg(env, args[8]);
  const long a_stride = int_arg(env, args[9]), b_stride = int_arg(env, args[10]);
  napi_valuetype bias_type;
  napi_typeof(env, args[11], &bias_type);
  if (bias_type != napi_null && bias_type != napi_undefined &&
      !float_array(env, args[11], &bias, &bias_len))
    return NULL;
  const int activation = int_arg(env, args[12]);
  // Bounds are checked here, once, so a wrong shape in JS can never read or write out of the views.
  if (batch < 1 || m < 0 || n < 0 || k < 0 || a_stride < 0 || b_stride < 0 ||
      (size_t)(batch - 1) * a_stride + (size_t)m * k > a_len ||
      (size_t)(batch - 1) * b_stride + (size_t)k * n > b_len || (size_t)batch * m * n > out_len ||
      (bias != NULL && bias_len != (size_t)n))
    return throw_error(env, "gemm: shapes do not fit the arrays");
  const long out_stride = (long)m * n;
  for (int i = 0; i < batch; i++) {
    float *c = out + i * out_stride;
    float beta = 0.0f;
    if (bias != NULL) {
      for (int row = 0; row < m; row++) memcpy(c + (long)row * n, bias, sizeof(float) * n);
      beta = 1.0f;
    }
    if (k == 0 || (long)m * n * k <= SMALL_GEMM_MACS) {
      if (bias == NULL) memset(c, 0, sizeof(float) * out_stride);
      if (k > 0) small_gemm(trans_a, trans_b, m, n, k, a + i * a_stride, b + i * b_stride, c);
    } else {
      blas_sgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, 1.0f,
                 a + i * a_stride, trans_a ? m : k, b + i * b_stride, trans_b ? k : n, beta, c, n);
    }
    if (activation == ACT_RELU) {
      for (long j = 0; j < out_stride; j++) c[j] = c[j] > 0.0f ? c[j] : 0.0f;
    } else if (activation == ACT_SIGMOID) {
      for (long j = 0; j < out_stride; j++) c[j] = 1.0f / (1.0f + expf(-c[j]));
    }
  }
  return NULL;
}

// Reads `count` Float32Array arguments into `arrays` (lengths in `lengths`); false on a type error.
bool float_args(napi_env env, napi_value *args, size_t count, float **arrays, size_t *lengths) {
  for (size_t i = 0; i < count; i++)
    if (!float_array(env, args[i], &arrays[i], &lengths[i])) return false;
  return true;
}

// max of x[0..n) over eight independent lanes (−∞ for n = 0; NaN is passed over): a single
// running max is a serial dependency chain, and `a > b ? a : b` per lane maps onto (v)maxps.
// The rows of log_softmax; compiled for AVX2+FMA and for the x86-64 baseline, picked at load time.
CLONES static void log_softmax_rows(const float *restrict in, float *restrict out_all, long rows, long cols) {
  for (long r = 0; r < rows; r++) {
    const float *x = in + r * cols;
    float *out = out_all + r * cols;
    const float max = row_max(x, cols);
    float sum = 0.0f;
    for (long k = 0; k < cols; k++) sum += exp_approx(x[k] - max);
    const float shift = max + logf(sum);
    for (long k = 0; k < cols; k++) out[k] = x[k] - shift;
  }
}

// logSoftmax(x, out, rows, cols): out = x − max − log Σ exp(x − max), row by row.
static napi_value log_softmax(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 4) return throw_error(env, "logSoftmax: expected 4 arguments");
  float *a[2];
  size_t len[2];
  if (!float_args(env, args, 2, a, len)) return NULL;
  const long rows = int_arg(env, args[2]), cols = int_arg(env, args[3]);
  if (rows < 0 || cols < 1 || len[0] < (size_t)(rows * cols) || len[1] < (size_t)(rows * cols))
    return throw_error(env, "logSoftmax: shapes do not fit the arrays");
  log_softmax_rows(a[0], a[1], rows, cols);
  return NULL;
}

// The k largest of x[0..cols) (best first) and their columns, as model/searchInternals.ts's topKOfRow:
// NaN and −∞ never chosen, ties keep the lower column, column `skip` (or −1) excluded. Returns how
// many of the k slots were filled.
INLINE long top_k_of_row(const float *restrict x, long cols, long k, long skip, int32_t *restrict idx,
                         float *restrict val) {
  for (long j = 0; j < k; j++) {
    val[j] = -INFINITY;
    idx[j] = 0;
  }
  long count = 0;
  float threshold = -INFINITY;
  // Blocks of 64 with no value above the threshold are skipped after one vectorised comparison
  // pass (no horizontal reduction, one branch a block): after the first few hundred columns almost
  // every block is. 64 rather than 16 took top-k over 160 × 8000 logits from 0.99 to 0.92 ms on one thread.
  for (long start = 0; start < cols; start += 64) {
    const long end = start + 64 < cols ? start + 64 : cols;
    int above = 0;
    for (long i = start; i < end; i++) above |= x[i] > threshold;
    if (!above) continue;
    for (long i = start; i < end; i++) {
      const float v = x[i];
      if (!(v > threshold) || i == skip) continue;  // also rejects NaN and −∞
      long at = count < k ? count : k - 1;
      while (at > 0 && v > val[at - 1]) {
        val[at] = val[at - 1];
        idx[at] = idx[at - 1];
        at--;
      }
      val[at] = v;
      idx[at] = (int32_t)i;
      if (count < k) count++;
      threshold = val[k - 1];
    }
  }
  return count;
}

// Per row of logits: the k best log-probabilities (logit − logsumexp) and their columns, and the
// log-probability of column `extra`. The top k of a row's logits are the top k of its
// log-probabilities, so no [rows, cols] log-softmax is ever written: one pass for the max, one
// vectorised pass for Σ exp, one comparison pass for the top k, all over a row still in cache.
struct top_k_pass {
  const float *in;
  long cols, k, skip, extra;
  int32_t *idx_all, *counts;
  float *val_all, *extra_out;
};

// Rows [r0, r1) of one top-k pass (the thread pool's unit).
CLONES static void top_k_log_softmax_rows(void *arg, long r0, long r1) {
  const struct top_k_pass *p = arg;
  const float *restrict in = p->in;
  const long cols = p->cols, k = p->k, skip = p->skip, extra = p->extra;
  int32_t *restrict idx_all = p->idx_all, *restrict counts = p->counts;
  float *restrict val_all = p->val_all, *restrict extra_out = p->extra_out;
  for (long r = r0; r < r1; r++) {
    const float *x = in + r * cols;
    const float max = row_max(x, cols);
    float sum = 0.0f;
    for (long i = 0; i < cols; i++) sum += exp_approx(x[i] - max);
    const float shift = max + logf(sum);
    int32_t *idx = idx_all + r * k;
    float *val = val_all + r * k;
    long count = top_k_of_row(x, cols, k, skip, idx, val);
    // A row with a NaN or an infinite logit has no usable distribution (log_softmax gives NaN).
    if (!isfinite(shift)) count = 0;
    for (long j = 0; j < k; j++) val[j] = j < count ? val[j] - shift : -INFINITY;
    counts[r] = (int32_t)count;
    extra_out[r] = extra >= 0 && extra < cols ? x[extra] - shift : NAN;
  }
}

// topKLogSoftmax(logits, rows, cols, k, skip, extra, outIndices, outValues, outCounts, outExtra):
// outputs [rows·k], [rows·k], [rows], [rows] (see top_k_log_softmax_rows).
static napi_value top_k_log_softmax(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value args[10];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 10) return throw_error(env, "topKLogSoftmax: expected 10 arguments");
  float *logits, *best_val, *extra_out;
  int32_t *best_idx, *counts;
  size_t len[5];
  if (!float_array(env, args[0], &logits, &len[0])) return NULL;
  const long rows = int_arg(env, args[1]), cols = int_arg(env, args[2]), k = int_arg(env, args[3]);
  const long skip = int_arg(env, args[4]), extra = int_arg(env, args[5]);
  if (!int_array(env, args[6], &best_idx, &len[1]) || !float_array(env, args[7], &best_val, &len[2]) ||
      !int_array(env, args[8], &counts, &len[3]) || !float_array(env, args[9], &extra_out, &len[4]))
    return NULL;
  if (rows < 0 || cols < 1 || k < 1 || len[0] < (size_t)(rows * cols) || len[1] < (size_t)(rows * k) ||
      len[2] < (size_t)(rows * k) || len[3] < (size_t)rows || len[4] < (size_t)rows)
    return throw_error(env, "topKLogSoftmax: shapes do not fit the arrays");
  struct top_k_pass pass = {logits, cols, k, skip, extra, best_idx, counts, best_val, extra_out};
  // Rows a chunk: ≈30k logits, tens of microseconds of work.
  subflow_parallel_for(rows, 1 + 30000 / cols, top_k_log_softmax_rows, &pass);
  return NULL;
}

// One decoding step of Luong "general" attention for every row (one query each): scores
// q·k_s (the keys already hold W_a·h_s), padded positions at −1e9 as the training graph has them,
// softmax over s, context Σ a_s·v_s. Writes [context; query] (the attentional layer's input, in
// the training graph's concat order) and the weights.
CLONES static void attention_step_rows(const float *restrict query, const float *restrict keys,
                                       const float *restrict values, const float *restrict mask,
                                       float *restrict combined, float *restrict weights, long rows,
                                       long src_len, long dim, long value_dim) {
  for (long r = 0; r < rows; r++) {
    const float *restrict q = query + r * dim;
    float *restrict a = weights + r * src_len;
    float max = -INFINITY;
    for (long s = 0; s < src_len; s++) {
      const float *restrict k = keys + (r * src_len + s) * dim;
      float dot = 0.0f;
      for (long j = 0; j < dim; j++) dot += q[j] * k[j];
      a[s] = dot + (1.0f - mask[r * src_len + s]) * -1e9f;
      max = a[s] > max ? a[s] : max;
    }
    float sum = 0.0f;
    for (long s = 0; s < src_len; s++) {
      a[s] = exp_approx(a[s] - max);
      sum += a[s];
    }
    const float inv = 1.0f / sum;
    float *restrict context = combined + r * (value_dim + dim);
    for (long j = 0; j < value_dim; j++) context[j] = 0.0f;
    for (long s = 0; s < src_len; s++) {
      a[s] *= inv;
      const float *restrict v = values + (r * src_len + s) * value_dim;
      for (long j = 0; j < value_dim; j++) context[j] += a[s] * v[j];
    }
    memcpy(context + value_dim, q, sizeof(float) * dim);
  }
}

// attentionStep(query, keys, values, mask, combined, weights, rows, srcLen, dim, valueDim):
// query [rows, dim], keys [rows, srcLen, dim], values [rows, srcLen, valueDim], mask [rows, srcLen];
// outputs combined [rows, valueDim + dim], weights [rows, srcLen].
static napi_value attention_step(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value args[10];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 10) return throw_error(env, "attentionStep: expected 10 arguments");
  float *a[6];
  size_t len[6];
  if (!float_args(env, args, 6, a, len)) return NULL;
  const long rows = int_arg(env, args[6]), src_len = int_arg(env, args[7]), dim = int_arg(env, args[8]),
             value_dim = int_arg(env, args[9]);
  if (rows < 0 || src_len < 1 || dim < 1 || value_dim < 1 || len[0] < (size_t)(rows * dim) ||
      len[1] < (size_t)(rows * src_len * dim) || len[2] < (size_t)(rows * src_len * value_dim) ||
      len[3] < (size_t)(rows * src_len) || len[4] < (size_t)(rows * (value_dim + dim)) ||
      len[5] < (size_t)(rows * src_len))
    return throw_error(env, "attentionStep: shapes do not fit the arrays");
  attention_step_rows(a[0], a[1], a[2], a[3], a[4], a[5], rows, src_len, dim, value_dim);
  return NULL;
}

// tanh(x, out, n): element-wise tanh (tanh_approx) for the wasm and cpu backends' Tanh kernel.
CLONES static void tanh_loop(const float *restrict x, float *restrict out, long n) {
  for (long i = 0; i < n; i++) out[i] = tanh_approx(x[i]);
}

static napi_value tanh_kernel(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 2) return throw_error(env, "tanh: expected 2 arguments");
  float *a[2];
  size_t len[2];
  if (!float_args(env, args, 2, a, len)) return NULL;
  if (len[1] < len[0]) return throw_error(env, "tanh: output shorter than input");
  tanh_loop(a[0], a[1], (long)len[0]);
  return NULL;
}

// The decoder step's per-row work between its products: gates, cell and attention of rows [r0, r1).
struct step_rows {
  const float *xp, *hu, *c, *keys, *values, *mask;
  const int32_t *state_rows;    // row r continues state row state_rows[r]; NULL: row r
  const int32_t *encoder_rows;  // row r attends to encoder row encoder_rows[r]; NULL: row r
  float *h_out, *c_out, *combined, *weights;
  long src_len, units, value_dim;
};

static void decoder_step_rows(void *arg, long r0, long r1) {
  const struct step_rows *w = arg;
  const long units = w->units, gates = 4 * units, src_len = w->src_len, value_dim = w->value_dim;
  float *row_gates = malloc(sizeof(float) * gates);
  if (row_gates == NULL) abort();
  for (long r = r0; r < r1; r++) {
    gate_activations(w->xp + r * gates, w->hu != NULL ? w->hu + r * gates : NULL, row_gates, units);
    const long from = w->state_rows != NULL ? w->state_rows[r] : r;
    cell_forward(row_gates, w->c + from * units, w->h_out + r * units, w->c_out + r * units, units);
  }
  free(row_gates);
  if (w->encoder_rows == NULL) {
    attention_step_rows(w->h_out + r0 * units, w->keys + r0 * src_len * units,
                        w->values + r0 * src_len * value_dim, w->mask + r0 * src_len,
                        w->combined + r0 * (value_dim + units), w->weights + r0 * src_len, r1 - r0, src_len, units,
                        value_dim);
    return;
  }
  for (long r = r0; r < r1; r++) {
    const long e = w->encoder_rows[r];
    attention_step_rows(w->h_out + r * units, w->keys + e * src_len * units, w->values + e * src_len * value_dim,
                        w->mask + e * src_len, w->combined + r * (value_dim + units), w->weights + r * src_len, 1,
                        src_len, units, value_dim);
  }
}

// An optional row map (Int32Array or null/undefined) into *rows_out: NULL when absent; false (an error
// pending) when it is not an Int32Array, is shorter than `rows`, or points outside [0, available).
static bool optional_row_map(napi_env env, napi_value value, long rows, long available, const char *name,
                             const int32_t **rows_out) {
  int32_t *map;
  size_t length;
  *rows_out = NULL;
  if (!optional_ints(env, value, &map, &length)) return false;
  if (map == NULL) return true;
  char message[96];
  for (long r = 0; r < rows; r++) {
    if ((size_t)r >= length || map[r] < 0 || map[r] >= available) {
      snprintf(message, sizeof message, "decoderStep: %s has no valid entry for row %ld", name, r);
      throw_error(env, message);
      return false;
    }
  }
  *rows_out = map;
  return true;
}

// decoderStep(ids, h, c, keys, values, mask, embedding, kernel, recurrent, bias, combine, outKernel,
//   outBias, logits, hOut, cOut, weights, rows, srcLen, emb, units, valueDim, attUnits, vocab, stateRows,
//   encoderRows [, packedGates ([W; U]), packedCombine, packedOut, path]):
// one incremental step of a one-layer LSTM decoder with Luong general attention for every row, in
// one call (model/kernels/decodeKernels.ts's SubflowDecoderStep): z = E[id]·W + b + h·U, the LSTM cell, attention
// over keys/values, h̃ = tanh(W_c [context; h']), logits = h̃·W_o + b_o. The same products and
// loops as the op-by-op path; what it saves is ~20 tfjs dispatches and allocations a step. A matrix
// given packed (packed_gemm.c, null for none) is multiplied by the packed kernels instead of cblas_sgemm.
// stateRows (Int32Array or null): row r continues h and c of row stateRows[r] — a beam's reordering
// read in place instead of gathered into a new state first; encoderRows likewise picks the row of
// keys, values and mask that row r attends to (a beam's rows all read their sentence's one copy).
static napi_value decoder_step(napi_env env, napi_callback_info info) {
  size_t argc = 30;
  napi_value args[30];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 26 && argc != 30) return throw_error(env, "decoderStep: expected 26 or 30 arguments");
  if (blas_sgemm == NULL) return throw_error(env, load_error);
  int32_t *ids;
  size_t ids_len;
  if (!int_array(env, args[0], &ids, &ids_len)) return NULL;
  float *a[16];
  size_t len[16];
  if (!float_args(env, args + 1, 16, a, len)) return NULL;
  const long rows = int_arg(env, args[17]), src_len = int_arg(env, args[18]), emb = int_arg(env, args[19]),
             units = int_arg(env, args[20]), value_dim = int_arg(env, args[21]), att = int_arg(env, args[22]),
             vocab = int_arg(env, args[23]);
  const float *h = a[0], *c = a[1], *keys = a[2], *values = a[3], *mask = a[4], *embedding = a[5],
              *kernel = a[6], *recurrent = a[7], *bias = a[8], *combine = a[9], *out_kernel = a[10],
              *out_bias = a[11];
  float *logits = a[12], *h_out = a[13], *c_out = a[14], *weights = a[15];
  const long gates = 4 * units, comb = value_dim + units;
  if (rows < 1 || src_len < 1 || units < 1) return throw_error(env, "decoderStep: shapes do not fit the arrays");
  // Rows the state and the encoder have: as many as the step, or any number the row maps pick from.
  const long state_count = (long)((len[0] < len[1] ? len[0] : len[1]) / (size_t)units);
  const long encoder_count = (long)(len[4] / (size_t)src_len);
  const int32_t *state_rows, *encoder_rows;
  if (!optional_row_map(env, args[24], rows, state_count, "stateRows", &state_rows) ||
      !optional_row_map(env, args[25], rows, encoder_count, "encoderRows", &encoder_rows))
    return NULL;
  const long state_min = state_rows != NULL ? 0 : rows, encoder_min = encoder_rows != NULL ? encoder_count : rows;
  if (emb < 1 || value_dim < 1 || att < 1 || vocab < 1 || ids_len < (size_t)rows ||
      state_count < state_min || len[2] < (size_t)(encoder_min * src_len * units) ||
      len[3] < (size_t)(encoder_min * src_len * value_dim) || len[4] < (size_t)(encoder_min * src_len) ||
      len[5] < (size_t)(vocab * emb) ||
      len[6] < (size_t)(emb * gates) || len[7] < (size_t)(units * gates) || len[8] < (size_t)gates ||
      len[9] < (size_t)(comb * att) || len[10] < (size_t)(att * vocab) || len[11] < (size_t)vocab ||
      len[12] < (size_t)(rows * vocab) || len[13] < (size_t)(rows * units) || len[14] < (size_t)(rows * units) ||
      len[15] < (size_t)(rows * src_len))
    return throw_error(env, "decoderStep: shapes do not fit the arrays");
  // Optional: W stacked over U, W_c and W_o packed by packPanels, and the packed products' path.
  const float *packed[3] = {NULL, NULL, NULL};
  int path = 0;
  if (argc == 30) {
    const long ks[3] = {emb + units, comb, att}, ns[3] = {gates, att, vocab};
    for (int i = 0; i < 3; i++) {
      napi_valuetype type;
      napi_typeof(env, args[26 + i], &type);
      if (type == napi_null || type == napi_undefined) continue;
      float *data;
      size_t length;
      if (!float_array(env, args[26 + i], &data, &length)) return NULL;
      if (length < (size_t)subflow_packed_length(ks[i], ns[i]))
        return throw_error(env, "decoderStep: a packed weight is shorter than its matrix");
      packed[i] = data;
    }
    path = int_arg(env, args[29]);
  }
  const long vocab_in = (long)(len[5] / (size_t)emb);
  for (long r = 0; r < rows; r++)
    if (ids[r] < 0 || ids[r] >= vocab_in) return throw_error(env, "decoderStep: token id outside the embedding");
  // One scratch block: rows of [E[id], h], x·W + b (+ h·U), h·U (cblas only), [context; h'], W_c·[c; h'], h̃.
  const long xh = emb + units;
  float *scratch = malloc(sizeof(float) * (rows * xh + 2 * rows * gates + rows * comb + 2 * rows * att));
  if (scratch == NULL) return throw_error(env, "decoderStep: out of memory");
  float *x = scratch, *xp = x + rows * xh, *hu = xp + rows * gates, *combined = hu + rows * gates,
        *pre_tanh = combined + rows * comb, *attentional = pre_tanh + rows * att;
  for (long r = 0; r < rows; r++) {
    memcpy(x + r * xh, embedding + (long)ids[r] * emb, sizeof(float) * emb);
    memcpy(x + r * xh + emb, h + (state_rows != NULL ? state_rows[r] : r) * units, sizeof(float) * units);
  }
  if (packed[0] != NULL) {
    // z = [x, h]·[W; U] + b as one product; the rows then read no separate h·U.
    if (!subflow_packed_matmul(x, rows, xh, gates, packed[0], bias, xp, path)) {
      free(scratch);
      return throw_error(env, "decoderStep: that packed path cannot run on this CPU");
    }
    hu = NULL;
  } else {
    for (long r = 0; r < rows; r++) memcpy(xp + r * gates, bias, sizeof(float) * gates);
    blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, gates, emb, 1.0f, x, xh, kernel, gates, 1.0f, xp, gates);
    blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, gates, units, 1.0f, x + emb, xh, recurrent, gates, 0.0f, hu,
               gates);
  }
  struct step_rows work = {xp,    hu,       c,       keys,    values, mask,     state_rows, encoder_rows,
                           h_out, c_out,    combined, weights, src_len, units, value_dim};
  // Rows a chunk: each is ≈2·4·units activations and 2·srcLen·units attention products.
  subflow_parallel_for(rows, 8, decoder_step_rows, &work);
  if (packed[1] != NULL)
    subflow_packed_matmul(combined, rows, comb, att, packed[1], NULL, pre_tanh, path);
  else
    blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, att, comb, 1.0f, combined, comb, combine, att, 0.0f,
               pre_tanh, att);
  tanh_loop(pre_tanh, attentional, rows * att);
  if (packed[2] != NULL) {
    subflow_packed_matmul(attentional, rows, att, vocab, packed[2], out_bias, logits, path);
  } else {
    for (long r = 0; r < rows; r++) memcpy(logits + r * vocab, out_bias, sizeof(float) * vocab);
    blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, vocab, att, 1.0f, attentional, att, out_kernel, vocab, 1.0f,
               logits, vocab);
  }
  free(scratch);
  return NULL;
}

// The decoder step's float loops, for int8_kernels.c (subflow_shared.h): an int8 decoder step runs
// exactly the float one's cell and attention.
void subflow_lstm_rows(const float *xp, const float *hu, const float *c, float *h_out, float *c_out,
                       long rows, long units) {
  float *gates = malloc(sizeof(float) * 4 * units);
  if (gates == NULL) abort();
  for (long r = 0; r < rows; r++) {
    gate_activations(xp + r * 4 * units, hu + r * 4 * units, gates, units);
    cell_forward(gates, c + r * units, h_out + r * units, c_out + r * units, units);
  }
  free(gates);
}

void subflow_attention_rows(const float *query, const float *keys, const float *values, const float *mask,
                            float *combined, float *weights, long rows, long src_len, long dim,
                            long value_dim) {
  attention_step_rows(query, keys, values, mask, combined, weights, rows, src_len, dim, value_dim);
}

void subflow_tanh(const float *x, float *out, long n) { tanh_loop(x, out, n); }

void export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  register_blas_load(env, exports);
  export_function(env, exports, "gemm", gemm);
  register_lstm(env, exports);
  register_optimizer(env, exports);
  register_output_loss(env, exports);
  register_dropout(env, exports);
  export_function(env, exports, "topKLogSoftmax", top_k_log_softmax);
  export_function(env, exports, "decoderStep", decoder_step);
  export_function(env, exports, "attentionStep", attention_step);
  export_function(env, exports, "tanh", tanh_kernel);
  export_function(env, exports, "logSoftmax", log_softmax);
  subflow_register_int8(env, exports);
  subflow_register_packed(env, exports);
  return exports;
}
