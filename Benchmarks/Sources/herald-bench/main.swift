print("herald-bench: core micro-benchmarks (see Benchmarks/README)")
