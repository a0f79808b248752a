// subflow's native kernels for the tfjs wasm and cpu backends: single-precision matrix products
// through the machine's OpenBLAS, on typed-array views of tensor memory (zero copies).
//
// OpenBLAS is opened with dlopen at load time rather than linked, so the addon builds with only a
// C compiler and Node's headers, and a machine without libopenblas gets a clear message instead of
// a failed `require`.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

// CBLAS enums (cblas.h values), declared here so no -dev package is needed.
enum { ROW_MAJOR = 101 };
enum { NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);
typedef int (*get_threads_fn)(void);
typedef void (*set_threads_fn)(int);
typedef char *(*get_config_fn)(void);

static sgemm_fn blas_sgemm = NULL;
static get_threads_fn blas_get_threads = NULL;
static set_threads_fn blas_set_threads = NULL;
static get_config_fn blas_get_config = NULL;
static char load_error[512] = "";

// Activations tfjs's _FusedMatMul can ask for and this addon applies itself.
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_SIGMOID = 2 };

static const char *const LIBRARIES[] = {"libopenblas.so.0", "libopenblas.so",
                                        "libopenblasp-r0.3.so", NULL};

static void load_openblas(void) {
  void *handle = NULL;
  for (int i = 0; LIBRARIES[i] != NULL && handle == NULL; i++)
    handle = dlopen(LIBRARIES[i], RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    snprintf(load_error, sizeof load_error, "libopenblas.so.0 not found (%s)", dlerror());
    return;
  }
  blas_sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
  blas_get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
  blas_set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
  blas_get_config = (get_config_fn)dlsym(handle, "openblas_get_config");
  if (blas_sgemm == NULL) snprintf(load_error, sizeof load_error, "cblas_sgemm missing in libopenblas");
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// A Float32Array argument's data and length; false (with a JS exception pending) otherwise.
static bool float_array(napi_env env, napi_value value, float **data, size_t *length) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_typedarray_type type;
  void *raw = NULL;
  if (is_typed) napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL);
  if (!is_typed || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "expected a Float32Array");
    return false;
  }
  *data = (float *)raw;
  return true;
}

static int int_arg(napi_env env, napi_value value) {
  int32_t result = 0;
  napi_get_value_int32(env, value, &result);
  return result;
}

static bool bool_arg(napi_env env, napi_value value) {
  bool result = false;
  napi_get_value_bool(env, value, &result);
  return result;
}

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
    if (k == 0) {
      if (bias == NULL) memset(c, 0, sizeof(float) * out_stride);
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

// info() → { available, error, threads, config }
static napi_value blas_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, value;
  napi_create_object(env, &result);
  napi_get_boolean(env, blas_sgemm != NULL, &value);
  napi_set_named_property(env, result, "available", value);
  napi_create_string_utf8(env, load_error, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "error", value);
  napi_create_int32(env, blas_get_threads ? blas_get_threads() : 0, &value);
  napi_set_named_property(env, result, "threads", value);
  napi_create_string_utf8(env, blas_get_config ? blas_get_config() : "", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "config", value);
  return result;
}

// setThreads(n): OpenBLAS's thread count for this process (all threads share it).
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (blas_set_threads != NULL && argc == 1) blas_set_threads(int_arg(env, arg));
  return NULL;
}

NAPI_MODULE_INIT() {
  if (blas_sgemm == NULL && load_error[0] == '\0') load_openblas();
  napi_value fn;
  napi_create_function(env, "gemm", NAPI_AUTO_LENGTH, gemm, NULL, &fn);
  napi_set_named_property(env, exports, "gemm", fn);
  napi_create_function(env, "info", NAPI_AUTO_LENGTH, blas_info, NULL, &fn);
  napi_set_named_property(env, exports, "info", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, set_threads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  return exports;
}
