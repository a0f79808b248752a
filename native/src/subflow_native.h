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
bool float_array(napi_env env, napi_value value, float **data, size_t *length);
bool int_array(napi_env env, napi_value value, int32_t **data, size_t *length);
int int_arg(napi_env env, napi_value value);
bool bool_arg(napi_env env, napi_value value);
void export_function(napi_env env, napi_value exports, const char *name, napi_callback callback);

// Exports of blas_load.c: cpuFeatures, loadBlas, info, setThreads, selfTest.
void register_blas_load(napi_env env, napi_value exports);

#endif
