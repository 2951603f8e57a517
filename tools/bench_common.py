"""What the benchmarks in tools/ print about the machine they ran on."""


def cpu_info():
    """(model name, AVX-512 flags, whether AVX2 and FMA are present) from /proc/cpuinfo."""
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model == "unknown":
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, sorted(f for f in flags if f.startswith("avx512")), "avx2" in flags, "fma" in flags
