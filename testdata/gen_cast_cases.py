#!/usr/bin/env python3
"""Write the rounding cases internal/numeric tests against: float32 bit
patterns and what numpy (float16) and ml_dtypes (bfloat16) round them to.

Made with numpy 2.4.6 and ml_dtypes 0.6.0 (the versions `make venv`
installs). Run from the repository root:

    .venv/bin/python testdata/gen_cast_cases.py

It writes internal/numeric/testdata/cases.json: a list of
[float32 bits, float16 bits, bfloat16 bits]. The inputs are the edge cases
(zeros, subnormals of each width, ties at both widths, the largest finite
values, infinities, NaNs) and 4000 random bit patterns from a fixed seed,
so the output is deterministic. Test tooling only.
"""

import json
import os

import ml_dtypes
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "internal", "numeric", "testdata", "cases.json")


def edge_bits():
    f = np.float32
    vals = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 1e5, 6.1e-5, 6.0e-8, 5.96e-8, 2.98e-8, 2.99e-8,
            1e-40, 3.4028235e38, 3.3961776e38, 3.3895314e38, np.inf, -np.inf, np.nan, -np.nan,
            1.0009765625, 1.00048828125, 1.00146484375, 1.00390625, 1.005859375, 1.001953125]
    bits = [int(np.array(v, dtype=f).view(np.uint32)) for v in vals]
    # Ties and neighbours at the float16 (13 dropped bits) and bfloat16
    # (16 dropped bits) cut, around 1.0 and 3.0, both signs.
    for base in (0x3F800000, 0x40400000, 0x00400000, 0x38800000):
        for low in (0x0FFF, 0x1000, 0x1001, 0x3000, 0x7FFF, 0x8000, 0x8001, 0x18000):
            bits += [base | low, (base | low) | 0x80000000]
    bits += [0x7F800001, 0x7FC00000, 0xFFC00001, 0x7FBFFFFF, 0x7F7FFFFF, 0x477FEFFF, 0x477FF000]
    return bits


def main():
    rng = np.random.default_rng(20261201)
    bits = edge_bits() + [int(b) for b in rng.integers(0, 2**32, size=4000, dtype=np.uint64)]
    a = np.array(bits, dtype=np.uint32).view(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        h = a.astype(np.float16).view(np.uint16)
        b = a.astype(ml_dtypes.bfloat16).view(np.uint16)
    rows = [[int(x), int(y), int(z)] for x, y, z in zip(bits, h, b)]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        fh.write("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")


if __name__ == "__main__":
    main()
