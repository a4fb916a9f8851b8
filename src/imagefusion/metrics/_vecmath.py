"""Vectorisable ``log`` and ``exp`` for the metrics' compiled loops (numba).

A loop that calls the C library's ``log`` or ``exp`` runs one value at a time. These two are written
with float and 64-bit integer operations that AVX2 has for four lanes (no branches, no integer-to-float
conversions), so that LLVM vectorises a loop that calls them. They follow fdlibm's ``e_log.c`` and
``e_exp.c`` (argument reduction by powers of 2 and ln 2, then a minimax polynomial) and are within one
unit in the last place of the correctly rounded value (``tests/test_metrics_loops.py``).
"""

from __future__ import annotations

import numba
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

_JIT = dict(cache=True, nogil=True, error_model="numpy")

# fdlibm's e_log.c: ln 2 split in two, and the minimax coefficients of log(1 + f) on s = f / (2 + f)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_TWO52 = 4503599627370496.0

# fdlibm's e_exp.c: 1/ln 2 (also log2's factor in the FMI loop) and the minimax coefficients of r (e^r + 1)/(e^r − 1) on |r| ≤ ln 2 / 2
_INV_LN2 = 1.44269504088896338700e+00
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_ROUND = 6755399441055744.0  # 1.5 × 2^52: adding it rounds to an integer, kept in the low bits


@intrinsic
def _bits(typingctx, x):  # pragma: no cover - compiled
    """The IEEE-754 bits of a float64, as an int64 (no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, x):  # pragma: no cover - compiled
    """The float64 whose IEEE-754 bits are the int64 ``x``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@numba.njit(**_JIT)
def _ln(x):  # pragma: no cover - compiled
    """Natural logarithm of a positive finite float64, within 1 ulp of the correctly rounded
    value (fdlibm's algorithm: x = 2^k m with m in [√2/2, √2), log m = f − f²/2 + s(f²/2 + R(s²)),
    s = f / (2 + f), f = m − 1). Written without branches or integer-to-float conversions so that a
    loop over an array of them vectorises on AVX2."""
    tiny = x < 2.2250738585072014e-308  # subnormal: scale by 2^54 first
    bits = _bits(x * 18014398509481984.0 if tiny else x)
    mant = bits & 0x000FFFFFFFFFFFFF
    big = mant > 0x6A09E667F3BCD  # m ≥ √2: halve it
    # the biased exponent, as a float: put it in the mantissa of 2^52 and subtract 2^52
    kf = (_from_bits(((bits & 0x7FF0000000000000) >> 52) | 0x4330000000000000) - _TWO52) - 1023.0
    kf = kf + (1.0 if big else 0.0) - (54.0 if tiny else 0.0)
    f = _from_bits(mant | (0x3FE0000000000000 if big else 0x3FF0000000000000)) - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    return kf * _LN2_HI - ((hfsq - (s * (hfsq + r) + kf * _LN2_LO)) - f)


@numba.njit(**_JIT)
def ln_array(x, out):  # pragma: no cover - compiled
    """``out[:] = log(x)`` with :func:`_ln` (for the tests)."""
    for i in range(x.size):
        out[i] = _ln(x[i])




@numba.njit(**_JIT)
def _exp(x):  # pragma: no cover - compiled
    """e^x for a finite float64, within 1 ulp of the correctly rounded value; x is clamped to
    [−700, 700] first (so e^x stays a normal number: e^−700 ≈ 1e−304 where the exact value would
    underflow further). fdlibm's algorithm: x = k ln 2 + r, |r| ≤ ln 2 / 2, e^r from a rational
    function of r, times 2^k built from its bits."""
    x = min(max(x, -700.0), 700.0)
    t = x * _INV_LN2 + _ROUND
    kf = t - _ROUND
    k = _bits(t) - _bits(_ROUND)
    hi = x - kf * _LN2_HI
    lo = kf * _LN2_LO
    r = hi - lo
    rr = r * r
    c = r - rr * (_P1 + rr * (_P2 + rr * (_P3 + rr * (_P4 + rr * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return y * _from_bits((k + 1023) << 52)


@numba.njit(**_JIT)
def exp_array(x, out):  # pragma: no cover - compiled
    """``out[:] = exp(x)`` with :func:`_exp` (for the tests)."""
    for i in range(x.size):
        out[i] = _exp(x[i])
