// Vectorisable float32 approximations of exp, sigmoid and tanh, and the function-multiversioning
// macros of the addon's hot loops; shared by its source files.
#ifndef SUBFLOW_APPROX_MATH_H
#define SUBFLOW_APPROX_MATH_H
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

// Hot loops get AVX-512, AVX2+FMA and SSE4.1 clones besides the baseline one (GCC function multi-versioning;
// the loader picks one by the CPU's features, so the build stays portable; "arch=haswell" would
// dispatch on the CPU model and leave AMD CPUs on the baseline). Their helpers must be forced
// inline: GCC does not inline a default-target function into a clone by itself, and an
// out-of-line call per element keeps the loop scalar.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// The AVX-512 clone (x86-64-v4) took top-k over 160 × 8000 logits from 1.32 to 0.98 ms on one thread, and
// beam 5 / greedy decoding +3–4 % (3 interleaved pairs) on the 2-core EPYC.
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "arch=x86-64-v2", "default")))
#else
#define CLONES
#endif
#define INLINE static inline __attribute__((always_inline))

// exp(x) for float32 to about 1 ulp (Cephes expf: x = k·ln2 + r, |r| ≤ ln2/2, degree-6
// polynomial, 2^k from the exponent bits). Written without branches (two clamps, rintf) so loops
// over it vectorise; glibc's expf does not without -ffast-math and an ISA beyond the baseline.
INLINE float exp_approx(float x) {
  const bool underflow = x < -87.0f;  // exp is below float's normal range there: give exact 0
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float kf = rintf(x * 1.44269504088896341f);
  const float r = (x - kf * 0.693359375f) - kf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)kf + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return underflow ? 0.0f : p * scale;
}

INLINE float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

// tanh via exp, with its odd Taylor series near 0 where 1 − 2/(e^2x + 1) would cancel.
INLINE float tanh_approx(float x) {
  const float big = 1.0f - 2.0f / (exp_approx(2.0f * x) + 1.0f);
  const float x2 = x * x;
  const float small = x * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f - x2 * (17.0f / 315.0f))));
  return fabsf(x) < 0.125f ? small : big;
}

// The largest of x[0..n) (−∞ for n = 0), in eight lanes so it vectorises.
INLINE float row_max(const float *restrict x, long n) {
  float lanes[8];
  for (int j = 0; j < 8; j++) lanes[j] = -INFINITY;
  long k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; j++) lanes[j] = x[k + j] > lanes[j] ? x[k + j] : lanes[j];
  float max = lanes[0];
  for (int j = 1; j < 8; j++) max = lanes[j] > max ? lanes[j] : max;
  for (; k < n; k++) max = x[k] > max ? x[k] : max;
  return max;
}

#endif
