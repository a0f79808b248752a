// The optimiser's passes over every parameter (model/optimizer.ts, fusedKernels.ts's SubflowAdam
// and SubflowSumOfSquares): the global gradient norm's Σg² and Adam's update. They touch every
// weight, gradient and moment once per step (12M of each for ref-small), which as JS loops over the
// wasm heap took ≈90 ms of a 400 ms training step; here they are vectorised loops split over the
// thread pool, bound by memory bandwidth.
#include <math.h>
#include <stdlib.h>

#include "approx_math.h"
#include "subflow_native.h"

// Elements a chunk of Adam's loop: small enough to share out evenly, large enough that claiming
// one costs nothing against its memory traffic.
#define ADAM_CHUNK (1L << 16)

struct adam_pass {
  const float *w, *g, *m, *v;
  float *w_out, *m_out, *v_out;
  float beta1, beta2, gm, gv, step_size, epsilon;
};

// m ← β₁m + gm·g, v ← β₂v + gv·g², w ← w − α·m/(√v + ε), with the clip scale and the bias
// corrections already folded into gm, gv and α (optimizer.ts).
CLONES static void adam_range(void *arg, long begin, long end) {
  const struct adam_pass *p = arg;
  const float *restrict w = p->w, *restrict g = p->g, *restrict m = p->m, *restrict v = p->v;
  float *restrict w_out = p->w_out, *restrict m_out = p->m_out, *restrict v_out = p->v_out;
  const float beta1 = p->beta1, beta2 = p->beta2, gm = p->gm, gv = p->gv, step = p->step_size, eps = p->epsilon;
  for (long i = begin; i < end; i++) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + gm * gi;
    const float vi = beta2 * v[i] + gv * gi * gi;
    m_out[i] = mi;
    v_out[i] = vi;
    w_out[i] = w[i] - step * mi / (sqrtf(vi) + eps);
  }
}

// Σx² is summed in blocks of BLOCK elements, one partial sum a block added in block order, so the
// norm does not depend on how many threads ran.
#define BLOCK (1L << 16)

struct squares_pass {
  const float *x;
  long length;
  double *partial;
};

CLONES static void squares_blocks(void *arg, long first, long last) {
  const struct squares_pass *p = arg;
  for (long block = first; block < last; block++) {
    const float *restrict x = p->x;
    const long end = (block + 1) * BLOCK < p->length ? (block + 1) * BLOCK : p->length;
    double sum = 0.0;
    for (long i = block * BLOCK; i < end; i++) sum += (double)x[i] * (double)x[i];
    p->partial[block] = sum;
  }
}

// adam(w, g, m, v, wOut, mOut, vOut, beta1, beta2, gradScale, stepSize, epsilon): one Adam update of
// one variable (all arrays the same length).
static napi_value adam(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value args[12];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 12) return throw_error(env, "adam: expected 12 arguments");
  float *a[7];
  size_t len[7];
  if (!float_args(env, args, 7, a, len)) return NULL;
  const double beta1 = double_arg(env, args[7]), beta2 = double_arg(env, args[8]),
               grad_scale = double_arg(env, args[9]), step_size = double_arg(env, args[10]),
               epsilon = double_arg(env, args[11]);
  for (int i = 1; i < 7; i++)
    if (len[i] < len[0]) return throw_error(env, "adam: the arrays differ in length");
  // 1 − β₂ in double: in float, 1 − 0.98f is already 1e-6 off.
  struct adam_pass pass = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], (float)beta1, (float)beta2,
                           (float)((1.0 - beta1) * grad_scale), (float)((1.0 - beta2) * grad_scale * grad_scale),
                           (float)step_size, (float)epsilon};
  subflow_parallel_for((long)len[0], ADAM_CHUNK, adam_range, &pass);
  return NULL;
}

// sumOfSquares(x) → Σx², accumulated in double precision.
static napi_value sum_of_squares(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc != 1) return throw_error(env, "sumOfSquares: expected 1 argument");
  float *x;
  size_t length;
  if (!float_array(env, arg, &x, &length)) return NULL;
  const long blocks = ((long)length + BLOCK - 1) / BLOCK;
  struct squares_pass pass = {x, (long)length, calloc(blocks > 0 ? blocks : 1, sizeof(double))};
  if (pass.partial == NULL) return throw_error(env, "sumOfSquares: out of memory");
  subflow_parallel_for(blocks, 1, squares_blocks, &pass);
  double sum = 0.0;
  for (long i = 0; i < blocks; i++) sum += pass.partial[i];
  free(pass.partial);
  napi_create_double(env, sum, &result);
  return result;
}

void register_optimizer(napi_env env, napi_value exports) {
  export_function(env, exports, "adam", adam);
  export_function(env, exports, "sumOfSquares", sum_of_squares);
}
