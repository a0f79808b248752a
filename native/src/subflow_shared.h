// What subflow_native.c shares with the kernel files beside it (int8_kernels.c): the decoder
// step's float loops, so an int8 decoder step runs exactly the float one's cell and attention.
#ifndef SUBFLOW_SHARED_H
#define SUBFLOW_SHARED_H
#include <node_api.h>
#include <stdbool.h>

// LSTM gates and cell for every row: xp = x·W + b and hu = h·U [rows, 4·units] → h', c' [rows, units].
void subflow_lstm_rows(const float *xp, const float *hu, const float *c, float *h_out, float *c_out,
                       long rows, long units);
// One Luong attention step for every row (see attention_step_rows).
void subflow_attention_rows(const float *query, const float *keys, const float *values, const float *mask,
                            float *combined, float *weights, long rows, long src_len, long dim,
                            long value_dim);
// Element-wise tanh (tanh_approx).
void subflow_tanh(const float *x, float *out, long n);
// Length of B [k, n] packed into column panels (packed_gemm.c).
long subflow_packed_length(long k, long n);
// out [rows, n] = x [rows, k] · B (+ bias) with B packed by packPanels; path 0 picks the widest the
// CPU has. False when `path` cannot run on this CPU.
bool subflow_packed_matmul(const float *x, long rows, long k, long n, const float *packed, const float *bias,
                           float *out, int path);
// Whether the packed products run SIMD microkernels here (AVX2 or AVX-512), not the plain loop.
bool subflow_packed_fast(void);
// Packs B [k, n] (or, `transposed`, from Bᵀ stored [n, k]) into packed [subflow_packed_length(k, n)].
void subflow_pack(const float *b, long k, long n, bool transposed, float *packed);
// out [rows, n] = x · B, or out += x · B with `accumulate`, x's rows `lda` apart; the widest path.
void subflow_packed_accumulate(const float *x, long lda, long rows, long k, long n, const float *packed,
                               bool accumulate, float *out);
// Adds the packed products' functions to the addon's exports (packed_gemm.c).
void subflow_register_packed(napi_env env, napi_value exports);
// Adds the int8 kernels' functions to the addon's exports (int8_kernels.c).
void subflow_register_int8(napi_env env, napi_value exports);
#endif
