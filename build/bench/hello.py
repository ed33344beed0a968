"""The floor of the benchmark: the cheapest one-file program, built stripped."""

print("hello world")
