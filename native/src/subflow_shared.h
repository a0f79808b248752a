// What subflow_native.c shares with the kernel files beside it (int8_kernels.c): the decoder
// step's float loops, so an int8 decoder step runs exactly the float one's cell and attention.
#ifndef SUBFLOW_SHARED_H
#define SUBFLOW_SHARED_H
#include <node_api.h>

// LSTM gates and cell for every row: xp = x·W + b and hu = h·U [rows, 4·units] → h', c' [rows, units].
void subflow_lstm_rows(const float *xp, const float *hu, const float *c, float *h_out, float *c_out,
                       long rows, long units);
// One Luong attention step for every row (see attention_step_rows).
void subflow_attention_rows(const float *query, const float *keys, const float *values, const float *mask,
                            float *combined, float *weights, long rows, long src_len, long dim,
                            long value_dim);
// Element-wise tanh (tanh_approx).
void subflow_tanh(const float *x, float *out, long n);
// Adds the int8 kernels' functions to the addon's exports (int8_kernels.c).
void subflow_register_int8(napi_env env, napi_value exports);
#endif
