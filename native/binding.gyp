{
  "targets": [
    {
      "target_name": "subflow_native",
      "sources": ["src/subflow_native.c"],
      "libraries": ["-ldl"],
      "cflags": ["-O3", "-fno-math-errno", "-std=c11"]
    }
  ]
}
