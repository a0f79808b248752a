{
  "targets": [
    {
      "target_name": "subflow_native",
      "sources": ["src/subflow_native.c", "src/blas_load.c", "src/lstm.c", "src/int8_kernels.c", "src/packed_gemm.c"],
      "libraries": ["-ldl"],
      "cflags": ["-O3", "-std=c11", "-fno-math-errno", "-fno-trapping-math", "-fno-signed-zeros", "-fassociative-math"]
    }
  ]
}
