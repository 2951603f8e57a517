#!/usr/bin/env bash
# Builds gpu-bundle/ (and gpu-bundle.tar.xz) for tools/gpu_check.sh, on a machine with the Swift toolchain, for a GPU
# machine without one:
#   bin/bertinspect      swift build -c release --static-swift-stdlib
#   lib/                 the shared libraries it still needs (ldd: OpenBLAS, libgfortran, libhdf5 and their
#                        dependencies, libstdc++), found through LD_LIBRARY_PATH there
#   glibc/               this machine's glibc and loader, used only when the GPU machine's glibc is older
#   fixtures/ tools/     the fixtures and the check's scripts (gpu_check.sh, gpu_reference.py, make_bert_base.py)
#   bert-base/           with --with-bert-base only: the ~438 MB checkpoint of tools/make_bert_base.py (needs numpy);
#                        without it gpu_check.sh writes the same file on the GPU machine
#   MANIFEST.txt         commit, toolchain, sizes
#
# Usage: tools/make_gpu_bundle.sh [--with-bert-base]     Environment: SCRATCH (build folder, .build-gpu-bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-gpu-bundle}
BUNDLE=gpu-bundle
WITH_BERT_BASE=0
case "${1:-}" in
    --with-bert-base) WITH_BERT_BASE=1 ;;
    "") ;;
    *) echo "usage: tools/make_gpu_bundle.sh [--with-bert-base]" >&2; exit 2 ;;
esac

swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH"
BINARY="$(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)/bertinspect"

rm -rf "$BUNDLE" "$BUNDLE.tar.xz"
mkdir -p "$BUNDLE/bin" "$BUNDLE/lib" "$BUNDLE/glibc" "$BUNDLE/tools"
cp "$BINARY" "$BUNDLE/bin/bertinspect"
strip --strip-debug "$BUNDLE/bin/bertinspect"
ldd "$BINARY" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r library; do
    case "$(basename "$library")" in
        libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*)
            cp -L "$library" "$BUNDLE/glibc/" ;;
        *)
            cp -L "$library" "$BUNDLE/lib/" ;;
    esac
done
cp -L "$(ldd "$BINARY" | awk '/ld-linux/ { print $1 }')" "$BUNDLE/glibc/ld-linux-x86-64.so.2"
cp -r fixtures "$BUNDLE/fixtures"
cp tools/gpu_check.sh tools/gpu_reference.py tools/make_bert_base.py "$BUNDLE/tools/"
if [ "$WITH_BERT_BASE" = 1 ]; then
    python3 tools/make_bert_base.py "$BUNDLE/bert-base"
fi

{
    echo "bertinspect $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+changes'), built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    swift --version 2>&1 | head -1
    echo "glibc $(ldd --version | head -1 | awk '{ print $NF }'); binary needs up to $(objdump -T "$BINARY" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1)"
    echo
    du -sh "$BUNDLE"/* | sed "s|$BUNDLE/||"
} > "$BUNDLE/MANIFEST.txt"
tar -cJf "$BUNDLE.tar.xz" "$BUNDLE"
cat "$BUNDLE/MANIFEST.txt"
echo "$(du -sh "$BUNDLE" | cut -f1) in $BUNDLE/, $(du -sh "$BUNDLE.tar.xz" | cut -f1) in $BUNDLE.tar.xz"
echo "On the GPU machine: tools/gpu_check.sh $BUNDLE   (or tools/gpu_check.sh $BUNDLE.tar.xz)"
