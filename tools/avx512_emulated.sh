#!/usr/bin/env bash
# Runs mlx-cpu's GEMM tests on an emulated AVX-512 CPU, for machines without AVX-512.
#
# The AVX-512 micro-kernels (crates/mlx-cpu/src/gemm/x86.rs) only run where the CPU has
# AVX-512F. QEMU's TCG has no AVX-512, Bochs 3.0 does (Bochs 2.7, Debian 12's, reports a wrong
# XSAVE size, so Linux turns XSAVE and with it every AVX unit off). This script builds Bochs 3.0
# from Debian's source tarball, boots Debian's kernel on an emulated Skylake-X with an
# initramfs holding busybox and a statically linked mlx-cpu test binary, runs the GEMM, matmul
# and conv tests there (the AVX2 and AVX-512 kernels against an f64 reference and against each
# other, bit for bit) and exits with their status. Emulation is about 100x slower than the host: the run takes
# 10-20 minutes, plus 10 minutes to build Bochs the first time. Not part of .ci/run for that
# reason.
#
# Usage: tools/avx512_emulated.sh [test-filter...]   (default: gemm:: matmul:: conv::)
# Env: MLX_RS_EMU_CPU (Bochs CPU model, default corei7_skylake_x), MLX_RS_EMU_APPEND (extra
# kernel arguments).
# Needs: apt-get (Debian 12), the Rust toolchain. Cache: $MLX_RS_CACHE (default ~/.cache/mlx-rs).
set -euo pipefail

filter="${*:-gemm:: matmul:: conv::}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${MLX_RS_CACHE:-$HOME/.cache/mlx-rs}/avx512-emu"
mkdir -p "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== packages"
export DEBIAN_FRONTEND=noninteractive
need=()
for p in cpio genisoimage isolinux syslinux-common busybox-static bochsbios vgabios g++ make curl; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

bochs="$cache/bochs-3.0/bochs"
if [ ! -x "$bochs" ]; then
    echo "== building Bochs 3.0 (once)"
    (cd "$cache" && curl -sSfO http://deb.debian.org/debian/pool/main/b/bochs/bochs_3.0+dfsg.orig.tar.xz \
        && tar xf bochs_3.0+dfsg.orig.tar.xz)
    (cd "$cache/bochs-3.0" \
        && ./configure --enable-x86-64 --enable-cpu-level=6 --enable-avx --enable-evex --with-nogui \
            --enable-all-optimizations --enable-pci --enable-cdrom --disable-debugger --disable-sb16 \
            --disable-es1370 --disable-ne2000 --disable-usb >configure.log 2>&1 \
        && make -j"$(nproc)" >make.log 2>&1)
fi

kernel="$cache/vmlinuz"
if [ ! -f "$kernel" ]; then
    echo "== kernel"
    image="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')"
    (cd "$work" && apt-get download "$image" >/dev/null 2>&1 && dpkg-deb -x "$image"_*.deb k)
    cp "$work"/k/boot/vmlinuz-* "$kernel"
fi

echo "== static test binary"
target="$repo/target/avx512-emu"
bin="$(cd "$repo" && CARGO_TARGET_DIR="$target" RUSTFLAGS="-C target-feature=+crt-static" \
    cargo test --release -p mlx-cpu --lib --no-run --target x86_64-unknown-linux-gnu \
    --message-format=json 2>/dev/null | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
[ -x "$bin" ] || { echo "no test binary"; exit 1; }

echo "== initramfs and boot image"
root="$work/root"
mkdir -p "$root"/{bin,proc,dev} "$work/iso/isolinux"
cp /bin/busybox "$root/bin/busybox"
cp "$bin" "$root/tests" && strip "$root/tests"
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
echo "cpu flags: \$(grep -o 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
/tests $filter --test-threads=1 --nocapture
echo "TESTS-EXIT=\$?"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$work/iso/initrd.gz")
cp "$kernel" "$work/iso/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$work/iso/isolinux/"
cat >"$work/iso/isolinux/isolinux.cfg" <<EOF
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  APPEND initrd=/initrd.gz console=ttyS0,115200 loglevel=3 mitigations=off tsc=reliable random.trust_cpu=on lpj=100000 nowatchdog ${MLX_RS_EMU_APPEND:-}
EOF
genisoimage -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot \
    -boot-load-size 4 -boot-info-table -J -R "$work/iso"

cat >"$work/bochsrc" <<EOF
display_library: nogui
megs: 512
cpu: model=${MLX_RS_EMU_CPU:-corei7_skylake_x}, count=1, ips=20000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$work/serial.out
speaker: enabled=0
log: $work/bochs.log
panic: action=fatal
error: action=ignore
info: action=ignore
clock: sync=none, time0=local
EOF

echo "== booting (emulated; this takes a while)"
touch "$work/serial.out"
timeout 3600 "$bochs" -q -f "$work/bochsrc" >"$work/bochs.out" 2>&1 </dev/null &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    if grep -aq "TESTS-EXIT=" "$work/serial.out" 2>/dev/null; then
        sleep 2
        kill "$pid" 2>/dev/null || true
        break
    fi
done
wait "$pid" 2>/dev/null || true
sed -n '/cpu flags:/,$p' "$work/serial.out" | tr -d '\r'
code="$(sed -n 's/.*TESTS-EXIT=\([0-9]*\).*/\1/p' "$work/serial.out" | tail -1)"
if [ -z "$code" ]; then
    echo "the emulated run did not finish; serial console:"
    tail -n 40 "$work/serial.out" || true
    exit 1
fi
grep -aq "avx512f" "$work/serial.out" || { echo "the emulated CPU shows no avx512f"; exit 1; }
exit "$code"
