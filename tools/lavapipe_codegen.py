#!/usr/bin/python3
"""What lavapipe's JIT makes of vkcap's shaders on this CPU: a per-shader instruction census.

Usage:
  tools/lavapipe_codegen.py build/tests/test_kernels 'linear: encoder-sized 197x768x768 with GELU and residual'

Runs one doctest case of a vkcap test binary with llvmpipe's assembly dump switched on
(GALLIVM_DEBUG=asm; MESA_SHADER_CACHE_DISABLE=true, because shaders loaded from Mesa's disk
cache are never dumped) and prints, for every compute shader it compiled:

  instructions      all x86 instructions of the shader (main + coroutine parts)
  gathers           hardware gather instructions (vpgatherqd, vgatherqps, ...)
  lane_loads        loads done one lane at a time: a test of one execution-mask bit, a branch,
                    then a scalar load — what LLVM emits for a masked gather it will not turn
                    into a gather instruction
  vec_mul / vec_add / vec_fma   packed float arithmetic
  stack_vec         vector moves to or from the stack (register spills and reloads)

Why this exists: the speed of every kernel on lavapipe is decided by how its buffer loads are
compiled. On CPUs with AVX-512 (and Intel cores LLVM marks as having fast gathers) a load
through a buffer_reference pointer becomes one gather instruction per 32 or 64 bits of every
lane (docs/lavapipe.md); on AVX2-only CPUs such as the AMD EPYC host behind docs/performance.md,
LLVM 15 refuses the gather and scalarises it into 8 branchy scalar loads.
This census shows which case a machine is in, and how many spills a register tile costs.
"""
import os
import re
import subprocess
import sys

SHADER_START = re.compile(r"^cs_(co_)?variant(\.resume|\.destroy)?:$")
INSTRUCTION = re.compile(r"^\s*[0-9a-f]+:\s+([a-z][a-z0-9]*)\s*(.*)$")
LOAD_OPERAND = re.compile(r"\(%r[a-z0-9]+\)")


def census(lines):
    """Counts for one shader's instruction lines (mnemonic, operands)."""
    c = dict(instructions=0, gathers=0, lane_loads=0, vec_mul=0, vec_add=0, vec_fma=0, stack_vec=0)
    mask_test_seen = 0  # instructions since the last execution-mask bit test
    for mnemonic, operands in lines:
        c["instructions"] += 1
        if "gather" in mnemonic:
            c["gathers"] += 1
        if mnemonic in ("vmulps", "vmulpd"):
            c["vec_mul"] += 1
        elif mnemonic in ("vaddps", "vaddpd", "vsubps", "vsubpd"):
            c["vec_add"] += 1
        elif mnemonic.startswith("vfmadd") or mnemonic.startswith("vfnmadd"):
            c["vec_fma"] += 1
        if re.search(r"%[yz]mm", operands) and "(%rsp)" in operands:
            c["stack_vec"] += 1
        if mnemonic == "testb" or (mnemonic == "testl" and operands.startswith("$")):
            mask_test_seen = 1
        elif mask_test_seen:
            mask_test_seen += 1
            if mnemonic.startswith("v") or mnemonic.startswith("mov"):
                if LOAD_OPERAND.search(operands.split(",")[0]) and "%rsp" not in operands:
                    c["lane_loads"] += 1
                    mask_test_seen = 0
            if mask_test_seen > 4:
                mask_test_seen = 0
    return c


def shaders_in(dump):
    """Groups the dump's lines into compute shaders: a cs_variant and its coroutine parts."""
    shaders, current = [], None
    for line in dump.splitlines():
        start = SHADER_START.match(line.strip())
        if start:
            if start.group(1) is None and start.group(2) is None:  # "cs_variant:" opens a shader
                current = []
                shaders.append(current)
        elif line.endswith(":") and not line[0].isspace():
            current = None  # another JIT function (a texture sampler, ...) ends the shader
        elif current is not None and (m := INSTRUCTION.match(line)):
            current.append((m.group(1), m.group(2)))
    return shaders


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, case = sys.argv[1], sys.argv[2]
    env = dict(os.environ, GALLIVM_DEBUG="asm", MESA_SHADER_CACHE_DISABLE="true")
    run = subprocess.run([binary, f"--test-case={case}"], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{binary}: test case failed (exit {run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    shaders = shaders_in(run.stdout + run.stderr)
    if not shaders:
        sys.exit("no compute shader in the dump: is the device lavapipe (llvmpipe)?")
    keys = ["instructions", "gathers", "lane_loads", "vec_mul", "vec_add", "vec_fma", "stack_vec"]
    print("shader  " + "  ".join(f"{k:>12}" for k in keys))
    for i, lines in enumerate(shaders):
        c = census(lines)
        print(f"{i:>6}  " + "  ".join(f"{c[k]:>12}" for k in keys))


if __name__ == "__main__":
    main()
