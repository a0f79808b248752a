{
  "targets": [
    {
      "target_name": "subflow_native",
      "sources": ["src/subflow_native.c", "src/blas_load.c", "src/lstm.c", "src/int8_kernels.c", "src/packed_gemm.c", "src/thread_pool.c", "src/optimizer.c", "src/output_loss.c", "src/dropout.c"],
      "libraries": ["-ldl", "-pthread"],
      "cflags": ["-O3", "-pthread", "-std=c11", "-fno-math-errno", "-fno-trapping-math", "-fno-signed-zeros", "-fassociative-math"]
    }
  ]
}
