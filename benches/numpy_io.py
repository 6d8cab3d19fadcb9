"""np.save and np.load of 64 MiB of float32, the numbers wgrad's export bench compares with.

Run with `python3 benches/numpy_io.py`; prints the median of 15 runs after warm-up.
"""
import os
import statistics
import tempfile
import time

import numpy as np

N = 1 << 24
array = np.random.default_rng(0).random(N, dtype=np.float32)
path = os.path.join(tempfile.mkdtemp(prefix="wgrad-numpy-bench-"), "a.npy")


def median_seconds(f, runs=15):
    f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def save_synced():
    with open(path, "wb") as f:
        np.save(f, array)
        f.flush()
        os.fsync(f.fileno())


for name, f in [
    ("np.save", lambda: np.save(path, array)),
    ("np.save + fsync", save_synced),
    ("np.load", lambda: np.load(path)),
]:
    seconds = median_seconds(f)
    print(f"{name:16} {seconds * 1e3:8.2f} ms  {N * 4 / seconds / 1e9:6.2f} GB/s")
os.remove(path)
