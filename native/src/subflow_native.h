// Declarations shared by the addon's source files: the OpenBLAS entry points (resolved by
// blas_load.c with dlopen) and the N-API argument helpers (subflow_native.c).
#ifndef SUBFLOW_NATIVE_H
#define SUBFLOW_NATIVE_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// CBLAS enums (cblas.h values), declared here so no -dev package is needed.
enum { ROW_MAJOR = 101 };
enum { NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);

// cblas_sgemm once OpenBLAS is loaded (loadBlas), NULL before and when it could not be.
extern sgemm_fn blas_sgemm;
// Why OpenBLAS is not loaded ("" while it is, or before loadBlas was called).
extern char load_error[512];

napi_value throw_error(napi_env env, const char *message);
// A typed-array argument's data and length when it has the expected element type; false (with a
// JS TypeError pending) otherwise.
bool typed_array(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length);
bool float_array(napi_env env, napi_value value, float **data, size_t *length);
// An optional Float32Array argument (null/undefined → NULL); false on a type error.
bool optional_floats(napi_env env, napi_value value, float **data, size_t *length);
bool int_array(napi_env env, napi_value value, int32_t **data, size_t *length);
// An optional Int32Array argument (null/undefined → NULL); false on a type error.
bool optional_ints(napi_env env, napi_value value, int32_t **data, size_t *length);
int int_arg(napi_env env, napi_value value);
double double_arg(napi_env env, napi_value value);
bool bool_arg(napi_env env, napi_value value);
void export_function(napi_env env, napi_value exports, const char *name, napi_callback callback);
// Reads `count` Float32Array arguments into `arrays` (lengths in `lengths`); false on a type error.
bool float_args(napi_env env, napi_value *args, size_t count, float **arrays, size_t *lengths);

// Gate activations of one row (lstm.c): sigmoid for i, f, o and tanh for g, of projection + recurrent
// (hu NULL: xp is already their sum).
void gate_activations(const float *restrict xp, const float *restrict hu, float *restrict gates, long units);
// c = f·c₋₁ + i·g, h = o·tanh(c) for one row (lstm.c).
void cell_forward(const float *restrict gates, const float *restrict c_prev, float *restrict h, float *restrict c,
                  long units);

// OpenBLAS's thread count once it is loaded (OPENBLAS_NUM_THREADS, setThreads), 0 before (blas_load.c).
int blas_thread_count(void);

// Runs fn(ctx, begin, end) over [0, count) in chunks of `grain` items that the caller and the pool's
// threads claim as they go (thread_pool.c); returns when every chunk has run.
typedef void (*subflow_range_fn)(void *ctx, long begin, long end);
void subflow_parallel_for(long count, long grain, subflow_range_fn fn, void *ctx);
// Threads a parallel loop uses, the caller included: setThreads's count, else OpenBLAS's, else the
// CPUs this process may run on.
int subflow_pool_threads(void);
void subflow_pool_set_threads(int threads);

// Exports of blas_load.c: cpuFeatures, loadBlas, info, setThreads, selfTest.
void register_blas_load(napi_env env, napi_value exports);
// Exports of optimizer.c: adam, sumOfSquares.
void register_optimizer(napi_env env, napi_value exports);
// Exports of lstm.c: lstmCell, lstmCellGrad, lstmSequence, lstmSequenceGrad.
void register_lstm(napi_env env, napi_value exports);
// Exports of output_loss.c: smoothedXent, outputLoss.
void register_output_loss(napi_env env, napi_value exports);
// Exports of dropout.c: dropout.
void register_dropout(napi_env env, napi_value exports);

#endif
