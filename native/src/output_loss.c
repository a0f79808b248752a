// The training loss at the top of the network: label-smoothed cross-entropy over the logits and
// its gradient (smoothedXent), and the whole output layer with it (outputLoss): logits = h·W + b,
// the loss, and the gradients w.r.t. h, W and b in one call, chunk by chunk of rows, so the
// [tokens, vocab] logits never exist whole (model/outputLoss.ts, the fused linear cross-entropy of
// Liger Kernel). The products are OpenBLAS's; W's gradient accumulates in place across chunks
// (β = 1), where the tfjs path zero-filled a [units, vocab] tensor and added every chunk's
// product to it — ≈40 ms of a 330 ms ref-small step on the 2-core EPYC.
#include <stdlib.h>
#include <string.h>

#include "approx_math.h"
#include "subflow_native.h"

// One row in place: zg holds the logits z (plus `bias` when given) and receives the gradient
// w·(softmax(z) − ε/V − (1−ε)·[k = y]); returns the loss w·(lse(z) − (1−ε)·z_y − ε/V·Σz). A row of
// weight 0 (PAD) or with a gold id outside the vocabulary contributes nothing (zero gradient).
INLINE float xent_row(float *restrict zg, const float *restrict bias, long vocab, int32_t gold, float weight,
                      float smoothing) {
  if (weight == 0.0f || gold < 0 || gold >= vocab) {
    memset(zg, 0, sizeof(float) * vocab);
    return 0.0f;
  }
  if (bias != NULL)
    for (long k = 0; k < vocab; k++) zg[k] += bias[k];
  const float uniform = smoothing / (float)vocab;
  const float max = row_max(zg, vocab), z_gold = zg[gold];
  float sum_exp = 0.0f, sum_z = 0.0f;
  for (long k = 0; k < vocab; k++) {
    const float z = zg[k];
    const float e = exp_approx(z - max);
    zg[k] = e;
    sum_exp += e;
    sum_z += z;
  }
  const float scale = weight / sum_exp, offset = weight * uniform;
  for (long k = 0; k < vocab; k++) zg[k] = zg[k] * scale - offset;
  zg[gold] -= weight * (1.0f - smoothing);
  const float lse = max + logf(sum_exp);
  return weight * (lse - (1.0f - smoothing) * z_gold - uniform * sum_z);
}

struct xent_pass {
  const float *z_all, *bias, *w;  // z_all NULL: grad_all holds the logits (in place)
  const int32_t *targets;
  float *loss, *grad_all;
  long vocab;
  float smoothing;
};

// Rows [r0, r1) of a loss pass (the thread pool's unit).
CLONES static void xent_rows(void *arg, long r0, long r1) {
  const struct xent_pass *p = arg;
  for (long n = r0; n < r1; n++) {
    float *grad = p->grad_all + n * p->vocab;
    if (p->z_all != NULL) memcpy(grad, p->z_all + n * p->vocab, sizeof(float) * p->vocab);
    p->loss[n] = xent_row(grad, p->bias, p->vocab, p->targets[n], p->w[n], p->smoothing);
  }
}

// Rows a chunk of the loss pass: ≈30k logits, tens of microseconds of work.
static long xent_grain(long vocab) { return 1 + 30000 / vocab; }

// smoothedXent(logits, targets, weights, loss, grad, rows, vocab, smoothing): label-smoothed
// cross-entropy per row and its gradient w.r.t. the logits (fusedKernels.ts's SubflowSmoothedXent).
static napi_value smoothed_xent(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value args[8];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 8) return throw_error(env, "smoothedXent: expected 8 arguments");
  int32_t *targets;
  size_t targets_len = 0;
  if (!int_array(env, args[1], &targets, &targets_len)) return NULL;
  float *z_all, *w, *loss, *grad_all;
  size_t len[4];
  if (!float_array(env, args[0], &z_all, &len[0]) || !float_array(env, args[2], &w, &len[1]) ||
      !float_array(env, args[3], &loss, &len[2]) || !float_array(env, args[4], &grad_all, &len[3]))
    return NULL;
  const long rows = int_arg(env, args[5]), vocab = int_arg(env, args[6]);
  const float smoothing = (float)double_arg(env, args[7]);
  if (rows < 0 || vocab < 1 || len[0] < (size_t)(rows * vocab) || targets_len < (size_t)rows ||
      len[1] < (size_t)rows || len[2] < (size_t)rows || len[3] < (size_t)(rows * vocab))
    return throw_error(env, "smoothedXent: shapes do not fit the arrays");
  struct xent_pass pass = {z_all, NULL, w, targets, loss, grad_all, vocab, smoothing};
  subflow_parallel_for(rows, xent_grain(vocab), xent_rows, &pass);
  return NULL;
}

struct column_sum_pass {
  const float *x;
  float *sums;
  long rows, cols;
};

// sums[j] += Σ_rows x[row, j] for columns [j0, j1), rows in order (the result does not depend on
// how the columns were shared out).
CLONES static void column_sums(void *arg, long j0, long j1) {
  const struct column_sum_pass *p = arg;
  for (long r = 0; r < p->rows; r++) {
    const float *restrict row = p->x + r * p->cols;
    float *restrict sums = p->sums;
    for (long j = j0; j < j1; j++) sums[j] += row[j];
  }
}

// outputLoss(hidden, kernel, bias, targets, weights, loss, dHidden, dKernel, dBias, tokens, units,
// vocab, smoothing, chunkRows): per token the label-smoothed loss of logits = h·W + b (loss
// [tokens]) and the gradients of Σ loss: dHidden [tokens, units], dKernel [units, vocab], dBias
// [vocab], made `chunkRows` rows of logits at a time.
static napi_value output_loss(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value args[14];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 14) return throw_error(env, "outputLoss: expected 14 arguments");
  if (blas_sgemm == NULL) return throw_error(env, load_error);
  int32_t *targets;
  size_t targets_len = 0;
  float *h, *w, *b, *weights, *loss, *dh, *dw, *db;
  size_t len[8];
  if (!float_array(env, args[0], &h, &len[0]) || !float_array(env, args[1], &w, &len[1]) ||
      !float_array(env, args[2], &b, &len[2]) || !int_array(env, args[3], &targets, &targets_len) ||
      !float_array(env, args[4], &weights, &len[3]) || !float_array(env, args[5], &loss, &len[4]) ||
      !float_array(env, args[6], &dh, &len[5]) || !float_array(env, args[7], &dw, &len[6]) ||
      !float_array(env, args[8], &db, &len[7]))
    return NULL;
  const long tokens = int_arg(env, args[9]), units = int_arg(env, args[10]), vocab = int_arg(env, args[11]);
  const float smoothing = (float)double_arg(env, args[12]);
  const long chunk = int_arg(env, args[13]);
  if (tokens < 1 || units < 1 || vocab < 1 || chunk < 1 || len[0] < (size_t)(tokens * units) ||
      len[1] < (size_t)(units * vocab) || len[2] < (size_t)vocab || targets_len < (size_t)tokens ||
      len[3] < (size_t)tokens || len[4] < (size_t)tokens || len[5] < (size_t)(tokens * units) ||
      len[6] < (size_t)(units * vocab) || len[7] < (size_t)vocab)
    return throw_error(env, "outputLoss: shapes do not fit the arrays");
  const long rows_max = chunk < tokens ? chunk : tokens;
  float *logits = malloc(sizeof(float) * rows_max * vocab);
  if (logits == NULL) return throw_error(env, "outputLoss: out of memory for a chunk of logits");
  memset(db, 0, sizeof(float) * vocab);
  for (long start = 0; start < tokens; start += chunk) {
    const long rows = tokens - start < chunk ? tokens - start : chunk;
    const float *h_part = h + start * units;
    // The bias is added in the loss pass, which reads every logit anyway.
    blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, vocab, units, 1.0f, h_part, units, w, vocab, 0.0f, logits,
               vocab);
    struct xent_pass pass = {NULL, b, weights + start, targets + start, loss + start, logits, vocab, smoothing};
    subflow_parallel_for(rows, xent_grain(vocab), xent_rows, &pass);
    struct column_sum_pass sums = {logits, db, rows, vocab};
    subflow_parallel_for(vocab, 1024, column_sums, &sums);
    blas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, rows, units, vocab, 1.0f, logits, vocab, w, vocab, 0.0f,
               dh + start * units, units);
    blas_sgemm(ROW_MAJOR, TRANS, NO_TRANS, units, vocab, rows, 1.0f, h_part, units, logits, vocab,
               start == 0 ? 0.0f : 1.0f, dw, vocab);
  }
  free(logits);
  return NULL;
}

void register_output_loss(napi_env env, napi_value exports) {
  export_function(env, exports, "smoothedXent", smoothed_xent);
  export_function(env, exports, "outputLoss", output_loss);
}
