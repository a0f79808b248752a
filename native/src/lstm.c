// The LSTM kernels: one cell step and its gradient (model/kernels/fusedKernels.ts's SubflowLstmCell and
// SubflowLstmCellGrad), and whole sequences with their backpropagation through time
// (lstmSequence.ts's SubflowLstmSequence and SubflowLstmSequenceGrad). Gate order [i f o g].
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "approx_math.h"
#include "subflow_native.h"
#include "subflow_shared.h"

// Gate activations of one row: sigmoid for i, f, o and tanh for g, of projection + recurrent.
CLONES void gate_activations(const float *restrict xp, const float *restrict hu, float *restrict gates,
                             long units) {
  const long sigmoid_end = 3 * units;
  if (hu == NULL) {  // xp already holds x·W + b + h·U (the decoder step's stacked product)
    for (long j = 0; j < sigmoid_end; j++) gates[j] = sigmoid_approx(xp[j]);
    for (long j = sigmoid_end; j < 4 * units; j++) gates[j] = tanh_approx(xp[j]);
    return;
  }
  for (long j = 0; j < sigmoid_end; j++) gates[j] = sigmoid_approx(xp[j] + hu[j]);
  for (long j = sigmoid_end; j < 4 * units; j++) gates[j] = tanh_approx(xp[j] + hu[j]);
}

// c = f·c₋₁ + i·g, h = o·tanh(c) for one row.
CLONES void cell_forward(const float *restrict gates, const float *restrict c_prev, float *restrict h,
                         float *restrict c, long units) {
  const float *restrict i = gates, *restrict f = gates + units, *restrict o = gates + 2 * units,
                        *restrict g = gates + 3 * units;
  for (long j = 0; j < units; j++) {
    const float cell = f[j] * c_prev[j] + i[j] * g[j];
    c[j] = cell;
    h[j] = o[j] * tanh_approx(cell);
  }
}

// The gradient of cell_forward for one row: dz over the pre-activations [i f o g], and dc₋₁.
CLONES static void cell_backward(const float *restrict gates, const float *restrict c_prev, const float *restrict dh,
                          const float *restrict dc_next, float *restrict dz, float *restrict dh_prev,
                          float *restrict dc_prev, long units) {
  const float *restrict i = gates, *restrict f = gates + units, *restrict o = gates + 2 * units,
                        *restrict g = gates + 3 * units;
  for (long j = 0; j < units; j++) {
    const float tanh_c = tanh_approx(f[j] * c_prev[j] + i[j] * g[j]);
    const float dc = dc_next[j] + dh[j] * o[j] * (1.0f - tanh_c * tanh_c);
    dz[j] = dc * g[j] * i[j] * (1.0f - i[j]);
    dz[units + j] = dc * c_prev[j] * f[j] * (1.0f - f[j]);
    dz[2 * units + j] = dh[j] * tanh_c * o[j] * (1.0f - o[j]);
    dz[3 * units + j] = dc * i[j] * (1.0f - g[j] * g[j]);
    dc_prev[j] = dc * f[j];
    // h reaches the step only through h·U, whose gradient the caller takes with a matMul.
    dh_prev[j] = 0.0f;
  }
}

// lstmCell(projection, recurrent, state, mask, out, batch, units): the forward step of
// model/kernels/fusedKernels.ts's SubflowLstmCell. projection/recurrent [B,4H] (gates i, f, o, g), state and
// out [2,B,H] (h then c), mask [B]; a masked row keeps its state.
static napi_value lstm_cell(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 7) return throw_error(env, "lstmCell: expected 7 arguments");
  float *a[5];
  size_t len[5];
  if (!float_args(env, args, 5, a, len)) return NULL;
  const long batch = int_arg(env, args[5]), units = int_arg(env, args[6]);
  if (batch < 0 || units < 0 || len[0] < (size_t)(batch * 4 * units) || len[1] < (size_t)(batch * 4 * units) ||
      len[2] < (size_t)(2 * batch * units) || len[3] < (size_t)batch || len[4] < (size_t)(2 * batch * units))
    return throw_error(env, "lstmCell: shapes do not fit the arrays");
  const float *xp = a[0], *hu = a[1], *s = a[2], *m = a[3];
  float *out = a[4];
  const long c_offset = batch * units;
  float *gates = malloc(sizeof(float) * 4 * (units > 0 ? units : 1));
  if (gates == NULL) return throw_error(env, "lstmCell: out of memory");
  for (long b = 0; b < batch; b++) {
    const long row = b * units;
    if (m[b] == 0.0f) {
      memcpy(out + row, s + row, sizeof(float) * units);
      memcpy(out + c_offset + row, s + c_offset + row, sizeof(float) * units);
      continue;
    }
    gate_activations(xp + b * 4 * units, hu + b * 4 * units, gates, units);
    cell_forward(gates, s + c_offset + row, out + row, out + c_offset + row, units);
  }
  free(gates);
  return NULL;
}

// lstmCellGrad(dState, projection, recurrent, state, mask, dz, dPrevious, batch, units): the
// gradient of lstmCell (model/kernels/fusedKernels.ts's SubflowLstmCellGrad). dz [B,4H]; dPrevious [2,B,H] holds
// only the c part (h reaches the step through h·U, whose gradient the caller takes with a matMul).
static napi_value lstm_cell_grad(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value args[9];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 9) return throw_error(env, "lstmCellGrad: expected 9 arguments");
  float *a[7];
  size_t len[7];
  if (!float_args(env, args, 7, a, len)) return NULL;
  const long batch = int_arg(env, args[7]), units = int_arg(env, args[8]);
  const size_t gate_size = (size_t)(batch * 4 * units), state = (size_t)(2 * batch * units);
  if (batch < 0 || units < 0 || len[0] < state || len[1] < gate_size || len[2] < gate_size || len[3] < state ||
      len[4] < (size_t)batch || len[5] < gate_size || len[6] < state)
    return throw_error(env, "lstmCellGrad: shapes do not fit the arrays");
  const float *ds = a[0], *xp = a[1], *hu = a[2], *s = a[3], *m = a[4];
  float *dz = a[5], *d_prev = a[6];
  const long c_offset = batch * units;
  float *gates = malloc(sizeof(float) * 4 * (units > 0 ? units : 1));
  if (gates == NULL) return throw_error(env, "lstmCellGrad: out of memory");
  for (long b = 0; b < batch; b++) {
    const long z = b * 4 * units, row = b * units;
    if (m[b] == 0.0f) {
      memcpy(d_prev + row, ds + row, sizeof(float) * units);
      memcpy(d_prev + c_offset + row, ds + c_offset + row, sizeof(float) * units);
      memset(dz + z, 0, sizeof(float) * 4 * units);
      continue;
    }
    gate_activations(xp + z, hu + z, gates, units);
    cell_backward(gates, s + c_offset + row, ds + row, ds + c_offset + row, dz + z, d_prev + row,
                  d_prev + c_offset + row, units);
  }
  free(gates);
  return NULL;
}

// U packed for the recurrence's per-step products (packed_gemm.c), when the CPU has SIMD
// microkernels for them: with 64 rows a step, cblas_sgemm repacks U on every call and ran at about
// half the packed kernels' rate, split over the same threads. NULL means cblas_sgemm.
static float *pack_recurrent(const float *u, long units, bool transposed) {
  if (!subflow_packed_fast()) return NULL;
  const long gates = 4 * units;
  // Forward: B = U [H, 4H]; backward: B = Uᵀ [4H, H].
  const long k = transposed ? gates : units, n = transposed ? units : gates;
  float *packed = malloc(sizeof(float) * subflow_packed_length(k, n));
  if (packed != NULL) subflow_pack(u, k, n, transposed, packed);
  return packed;
}

// What one step of the forward pass shares with the rows it is split into.
struct forward_step {
  const float *xp, *mask, *h, *c, *hu;
  float *h_next, *c_next, *out, *gates_all, *c_prev_all, *h_prev_all;
  long time, t, units;
};

// Rows [b0, b1) of one forward step: gates and cell from x·W + b and h·U, the state kept for the
// backward pass. `scratch` holds one row's gates when they are not kept.
CLONES static void forward_rows(const struct forward_step *s, long b0, long b1, float *restrict scratch) {
  const long units = s->units, gates = 4 * units;
  for (long b = b0; b < b1; b++) {
    const long at = b * s->time + s->t, row = b * units;
    if (s->h_prev_all != NULL) {
      memcpy(s->h_prev_all + at * units, s->h + row, sizeof(float) * units);
      memcpy(s->c_prev_all + at * units, s->c + row, sizeof(float) * units);
    }
    if (s->mask[at] == 0.0f) {
      // A padded step keeps the row's state (and outputs it again).
      memcpy(s->h_next + row, s->h + row, sizeof(float) * units);
      memcpy(s->c_next + row, s->c + row, sizeof(float) * units);
    } else {
      float *g = s->gates_all != NULL ? s->gates_all + at * gates : scratch;
      gate_activations(s->xp + at * gates, s->hu + b * gates, g, units);
      cell_forward(g, s->c + row, s->h_next + row, s->c_next + row, units);
    }
    memcpy(s->out + at * units, s->h_next + row, sizeof(float) * units);
  }
}

static void forward_rows_task(void *arg, long b0, long b1) {
  const struct forward_step *s = arg;
  if (s->gates_all != NULL) {
    forward_rows(s, b0, b1, NULL);
    return;
  }
  float *scratch = malloc(sizeof(float) * 4 * s->units);
  if (scratch == NULL) abort();
  forward_rows(s, b0, b1, scratch);
  free(scratch);
}

// Rows a chunk of a step's row loop: a few microseconds of gate arithmetic each.
#define ROW_GRAIN 8

// The forward pass of one LSTM direction over a whole sequence. Batch-major like the tensors
// around it (no transposes): projections x·W + b [B,T,4H], outputs [B,T,H], mask [B,T]. Per step
// the recurrent product h·U of every row is one product ([B,H]·[H,4H]), the way cuDNN batches it
// (packed U split over the threads, or cblas_sgemm), then the gates and cell run row by row, rows
// split over the threads too. With `gates_all`, `c_prev_all`, `h_prev_all` (each batch-major,
// [B,T,4H] / [B,T,H] / [B,T,H]) it keeps what the backward pass needs: the activated gates and the
// state before each step.
static void sequence_forward(const float *restrict xp, const float *restrict u, const float *restrict initial,
                             const float *restrict mask, float *restrict out, float *restrict final_state,
                             float *restrict gates_all, float *restrict c_prev_all, float *restrict h_prev_all,
                             long batch, long time, long units, bool reverse, float *restrict scratch) {
  const long gates = 4 * units, state = batch * units;
  // Two h and two c buffers (this step's and the next), h·U.
  float *h = scratch, *h_next = h + state, *c = h_next + state, *c_next = c + state, *hu = c_next + state;
  float *packed = pack_recurrent(u, units, false);
  memcpy(h, initial, sizeof(float) * state);
  memcpy(c, initial + state, sizeof(float) * state);
  for (long step = 0; step < time; step++) {
    const long t = reverse ? time - 1 - step : step;
    if (packed != NULL)
      subflow_packed_accumulate(h, units, batch, units, gates, packed, false, hu);
    else
      blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)batch, (int)gates, (int)units, 1.0f, h, (int)units, u,
                 (int)gates, 0.0f, hu, (int)gates);
    struct forward_step s = {.xp = xp, .mask = mask, .h = h, .c = c, .hu = hu, .h_next = h_next, .c_next = c_next,
                             .out = out, .gates_all = gates_all, .c_prev_all = c_prev_all,
                             .h_prev_all = h_prev_all, .time = time, .t = t, .units = units};
    subflow_parallel_for(batch, ROW_GRAIN, forward_rows_task, &s);
    float *swap = h;
    h = h_next, h_next = swap;
    swap = c;
    c = c_next, c_next = swap;
  }
  free(packed);
  memcpy(final_state, h, sizeof(float) * state);
  memcpy(final_state + state, c, sizeof(float) * state);
}

// One row's step of the backward pass: takes dh (from later steps, before adding this step's
// output gradient d_out) and dc from step t+1, writes dz over the pre-activations [i f o g] and
// leaves dc₋₁ in dc and 0 in dh (h₋₁ reaches the step only through h₋₁·U, added by the caller).
CLONES static void cell_backward_row(const float *restrict gates, const float *restrict c_prev,
                                     const float *restrict d_out, float *restrict dh, float *restrict dc,
                                     float *restrict dz, long units) {
  const float *restrict i = gates, *restrict f = gates + units, *restrict o = gates + 2 * units,
                        *restrict g = gates + 3 * units;
  for (long j = 0; j < units; j++) {
    const float dh_total = dh[j] + d_out[j];
    const float tanh_c = tanh_approx(f[j] * c_prev[j] + i[j] * g[j]);
    const float dcell = dc[j] + dh_total * o[j] * (1.0f - tanh_c * tanh_c);
    dz[j] = dcell * g[j] * i[j] * (1.0f - i[j]);
    dz[units + j] = dcell * c_prev[j] * f[j] * (1.0f - f[j]);
    dz[2 * units + j] = dh_total * tanh_c * o[j] * (1.0f - o[j]);
    dz[3 * units + j] = dcell * i[j] * (1.0f - g[j] * g[j]);
    dc[j] = dcell * f[j];
    dh[j] = 0.0f;
  }
}

// What one step of the backward pass shares with the rows it is split into.
struct backward_step {
  const float *d_out, *gates_all, *c_prev_all, *mask;
  float *dh, *dc, *dz_all;
  long time, t, units;
};

static void backward_rows_task(void *arg, long b0, long b1) {
  const struct backward_step *s = arg;
  const long units = s->units, gates = 4 * units;
  for (long b = b0; b < b1; b++) {
    const long at = b * s->time + s->t, row = b * units;
    float *dz = s->dz_all + at * gates;
    if (s->mask[at] == 0.0f) {
      // The padded step passed its state through: so does its gradient.
      for (long j = 0; j < units; j++) s->dh[row + j] += s->d_out[at * units + j];
      memset(dz, 0, sizeof(float) * gates);
      continue;
    }
    cell_backward_row(s->gates_all + at * gates, s->c_prev_all + at * units, s->d_out + at * units, s->dh + row,
                      s->dc + row, dz, units);
  }
}

// Backpropagation through time of sequence_forward: d_value holds dOutputs [B,T,H] then dh and dc
// of the final state [2,B,H]. Writes dz = d(x·W + b) [B,T,4H], dU = Σₜ h₍ₜ₋₁₎ᵀ·dzₜ as one product
// over all steps ([H, B·T]·[B·T, 4H]) and the initial state's gradient [2,B,H].
static void sequence_backward(const float *restrict d_value, const float *restrict gates_all,
                              const float *restrict c_prev_all, const float *restrict h_prev_all,
                              const float *restrict u, const float *restrict mask, float *restrict dz_all,
                              float *restrict d_u, float *restrict d_initial, long batch, long time, long units,
                              bool reverse) {
  const long gates = 4 * units, state = batch * units;
  const float *d_out = d_value, *d_final = d_value + batch * time * units;
  float *dh = d_initial, *dc = d_initial + state;
  float *packed = pack_recurrent(u, units, true);
  memcpy(dh, d_final, sizeof(float) * state);
  memcpy(dc, d_final + state, sizeof(float) * state);
  for (long step = time - 1; step >= 0; step--) {
    const long t = reverse ? time - 1 - step : step;
    struct backward_step s = {d_out, gates_all, c_prev_all, mask, dh, dc, dz_all, time, t, units};
    subflow_parallel_for(batch, ROW_GRAIN, backward_rows_task, &s);
    // dh₋₁ += dzₜ·Uᵀ, the rows of dzₜ being T·4H apart in the batch-major dz.
    if (packed != NULL)
      subflow_packed_accumulate(dz_all + t * gates, time * gates, batch, gates, units, packed, true, dh);
    else
      blas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int)batch, (int)units, (int)gates, 1.0f, dz_all + t * gates,
                 (int)(time * gates), u, (int)gates, 1.0f, dh, (int)units);
  }
  free(packed);
  blas_sgemm(ROW_MAJOR, TRANS, NO_TRANS, (int)units, (int)gates, (int)(batch * time), 1.0f, h_prev_all, (int)units,
             dz_all, (int)gates, 0.0f, d_u, (int)gates);
}

// lstmSequence(projections, recurrent, initial, mask, value, gates|null, cPrev|null, hPrev|null,
//   batch, time, units, reverse): projections [B,T,4H], recurrent U [H,4H], initial h then c
// [2,B,H], mask [B,T] → value = outputs [B,T,H] then the final h and c [2,B,H], in one array;
// gates [B,T,4H], cPrev and hPrev [B,T,H] are kept for lstmSequenceGrad (all null or all given).
static napi_value lstm_sequence(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value args[12];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 12) return throw_error(env, "lstmSequence: expected 12 arguments");
  if (blas_sgemm == NULL) return throw_error(env, load_error);
  float *a[8];
  size_t len[8];
  if (!float_args(env, args, 5, a, len)) return NULL;
  for (int i = 5; i < 8; i++)
    if (!optional_floats(env, args[i], &a[i], &len[i])) return NULL;
  const long batch = int_arg(env, args[8]), time = int_arg(env, args[9]), units = int_arg(env, args[10]);
  const bool reverse = bool_arg(env, args[11]);
  const size_t steps = (size_t)batch * time, gates = 4 * (size_t)units, keep = a[5] != NULL;
  if (batch < 1 || time < 1 || units < 1 || len[0] < steps * gates || len[1] < units * gates ||
      len[2] < 2 * (size_t)batch * units || len[3] < steps || len[4] < (steps + 2 * batch) * units ||
      (keep && (a[6] == NULL || a[7] == NULL || len[5] < steps * gates || len[6] < steps * units ||
                len[7] < steps * units)))
    return throw_error(env, "lstmSequence: shapes do not fit the arrays");
  float *scratch = malloc(sizeof(float) * (4 * (size_t)batch * units + (size_t)batch * gates));
  if (scratch == NULL) return throw_error(env, "lstmSequence: out of memory");
  sequence_forward(a[0], a[1], a[2], a[3], a[4], a[4] + steps * units, keep ? a[5] : NULL, keep ? a[6] : NULL,
                   keep ? a[7] : NULL, batch, time, units, reverse, scratch);
  free(scratch);
  return NULL;
}

// lstmSequenceGrad(dValue, gates, cPrev, hPrev, recurrent, mask, dProjections, dRecurrent,
//   dInitial, batch, time, units, reverse): the gradient of lstmSequence; dValue as its value,
// dProjections [B,T,4H], dRecurrent [H,4H], dInitial [2,B,H].
static napi_value lstm_sequence_grad(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value args[13];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 13) return throw_error(env, "lstmSequenceGrad: expected 13 arguments");
  if (blas_sgemm == NULL) return throw_error(env, load_error);
  float *a[9];
  size_t len[9];
  if (!float_args(env, args, 9, a, len)) return NULL;
  const long batch = int_arg(env, args[9]), time = int_arg(env, args[10]), units = int_arg(env, args[11]);
  const bool reverse = bool_arg(env, args[12]);
  const size_t steps = (size_t)batch * time, gates = 4 * (size_t)units;
  if (batch < 1 || time < 1 || units < 1 || len[0] < (steps + 2 * batch) * units || len[1] < steps * gates ||
      len[2] < steps * units || len[3] < steps * units || len[4] < units * gates || len[5] < steps ||
      len[6] < steps * gates || len[7] < units * gates || len[8] < 2 * (size_t)batch * units)
    return throw_error(env, "lstmSequenceGrad: shapes do not fit the arrays");
  sequence_backward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], batch, time, units, reverse);
  return NULL;
}

void register_lstm(napi_env env, napi_value exports) {
  export_function(env, exports, "lstmCell", lstm_cell);
  export_function(env, exports, "lstmCellGrad", lstm_cell_grad);
  export_function(env, exports, "lstmSequence", lstm_sequence);
  export_function(env, exports, "lstmSequenceGrad", lstm_sequence_grad);
}
