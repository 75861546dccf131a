"""The pipeline benchmark's parts (issue #16): the stack, the people, the driver, the ceiling,
the CLI timings and the figures table. The entry point is `bench/pipeline_benchmark.py`."""
