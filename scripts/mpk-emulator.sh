#!/bin/sh
# Runs wasmpool's memory-protection-key tests on emulated PKU hardware: boots this machine's Debian
# kernel under QEMU TCG with -cpu max (which emulates PKU; KVM cannot offer it on a CPU without
# it), one vCPU, with this machine's filesystem shared read-only over 9p (an in-memory overlay lets
# the guest write), and runs inside, with JUnit's launcher on the class path (Maven is too slow
# under TCG):
#   (a) MpkHardwareTest with the real key provider: pkey_alloc, striping, host copies between
#       stripes, and a child JVM killed with SEGV_PKUERR by a raw access from guest rights;
#   (b) the pooling scenario tests and the spec-testsuite differential with memoryProtectionKeys
#       ENABLE on the linux backend.
#
#   (c) the JMH pair MpkSwitchBenchmark (MPK off against on), when bench/target/benchmarks.jar exists.
#
#   scripts/mpk-emulator.sh              build (offline), boot, run (a), (b), (c); exit status of the tests
#   scripts/mpk-emulator.sh -- CMD...    boot and run CMD inside instead (in the current directory)
#
# Needs the Debian packages qemu-system-x86, linux-image-amd64, busybox-static and cpio, read
# access to / (run as root), JDK 25 under /usr/lib/jvm and a Maven repository that resolves offline.
# MPK_VM_MEM (default 3G) sets the guest's RAM; MPK_EMULATOR_PARTS (default "a b c") which parts run. About 30 minutes on two shared, busy cores (part b is most of it).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
kver=${MPK_KERNEL_VERSION:-$(ls /lib/modules | sort -V | tail -1)}
kernel=/boot/vmlinuz-$kver
mods=/lib/modules/$kver/kernel
for f in "$kernel" /bin/busybox "$mods/fs/9p/9p.ko" "$mods/fs/overlayfs/overlay.ko"; do
  [ -e "$f" ] || { echo "mpk-emulator: missing $f (apt-get install qemu-system-x86 linux-image-amd64 busybox-static cpio)" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "mpk-emulator: qemu-system-x86_64 not found" >&2; exit 2; }
java_home=${MPK_JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -1)}
[ -x "$java_home/bin/java" ] || { echo "mpk-emulator: no JDK 25 under /usr/lib/jvm (set MPK_JAVA_HOME)" >&2; exit 2; }

# The work directory must be visible to the guest: it sees / but gets a fresh /tmp.
work=$here/target/mpk-emulator
rm -rf "$work"
mkdir -p "$work"

if [ "${1:-}" = "--" ]; then
  shift
  inner_cwd=$(pwd)
else
  set --
  inner_cwd=$here
  echo "mpk-emulator: building the tests on the host (offline)"
  # One reactor run, so that sibling modules (testkit) resolve to this checkout, not to ~/.m2; the
  # chicory module comes last and leaves its class path in the file.
  (cd "$here" && mvn -B -ntp -q -o -DskipTests test-compile dependency:build-classpath -pl chicory -am \
      -Dmdep.includeScope=test -Dmdep.outputFile="$work/dependencies.txt")
  launcher_jar=$(ls "$HOME"/.m2/repository/org/junit/platform/junit-platform-launcher/*/junit-platform-launcher-*.jar \
      | grep "/$(sed 's|.*junit-platform-engine/\([^/]*\)/.*|\1|' "$work/dependencies.txt")/" | head -1)
  # This checkout's classes, not whatever wasmpool snapshot the local repository holds; copied, so
  # that a build on the host while the guest runs cannot change them under it.
  cp=$(tr ':' '\n' < "$work/dependencies.txt" | grep -v '/dev/wasmpool/' | tr '\n' ':')
  for d in chicory/target/test-classes chicory/target/classes api/target/classes spi/target/classes \
           impl-linux/target/classes impl-portable/target/classes; do
    mkdir -p "$work/classes/$d"
    cp -r "$here/$d/." "$work/classes/$d/"
    cp="$work/classes/$d:$cp"
  done
  cp="$cp$launcher_jar"
  mkdir -p "$work/launcher"
  "$java_home/bin/javac" -d "$work/launcher" -cp "$cp" "$here/scripts/MpkTestLauncher.java"
  # The JMH pair, when the bench jar was built (mvn -B -ntp -q -DskipTests package -pl bench -am).
  parts=${MPK_EMULATOR_PARTS:-a b c}
  bench=""
  if [ -f "$here/bench/target/benchmarks.jar" ] && case " $parts " in *" c "*) true;; *) false;; esac; then
    cp "$here/bench/target/benchmarks.jar" "$work/benchmarks.jar"
    bench="$work/benchmarks.jar"
  fi
  cat > "$work/tests.sh" <<TESTS
#!/bin/sh
java="$java_home/bin/java"
props="-ea --enable-native-access=ALL-UNNAMED -Dwasmpool.testsuite=$here/../shared/wasm-testsuite -Djava.util.logging.config.file=$here/chicory/src/test/resources/logging.properties"
cp="$work/launcher:$cp"
echo "== cpu: \$(grep -m1 -o -w pku /proc/cpuinfo) \$(grep -m1 -o -w ospke /proc/cpuinfo); kernel \$(uname -r)"
start=\$(cut -d' ' -f1 /proc/uptime)
"\$java" -version 2>&1 | head -1
echo "== java -version took \$(echo "\$(cut -d' ' -f1 /proc/uptime) \$start" | awk '{printf "%.1f", \$1-\$2}') s"
status=0
case " $parts " in *" a "*)
echo "== (a) MpkHardwareTest, real key provider"
"\$java" \$props -cp "\$cp" MpkTestLauncher dev.wasmpool.chicory.MpkHardwareTest || status=1
esac
case " $parts " in *" b "*)
echo "== (b) pooling scenarios and spec differential, memoryProtectionKeys ENABLE"
"\$java" \$props -Dwasmpool.test.memoryProtectionKeys=ENABLE -cp "\$cp" MpkTestLauncher \
  dev.wasmpool.chicory.PoolingAllocatorTest dev.wasmpool.chicory.SpecDifferentialTest || status=1
esac
if [ -n "$bench" ]; then
  echo "== (c) JMH MpkSwitchBenchmark (emulated: only the on/off ratio means anything)"
  "\$java" --enable-native-access=ALL-UNNAMED -jar "$bench" MpkSwitchBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s -foe true || status=1
fi
echo "== tests done after \$(cut -d' ' -f1 /proc/uptime) s of guest uptime, status \$status"
exit \$status
TESTS
  set -- sh "$work/tests.sh"
fi

root=$work/initramfs
mkdir -p "$root/bin" "$root/mod" "$root/lower" "$root/upper" "$root/newroot" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
# In dependency order (modinfo -F depends).
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay"
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
         drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio \
         fs/netfs/netfs fs/fscache/fscache fs/9p/9p fs/overlayfs/overlay; do
  if [ -e "$mods/$m.ko" ]; then cp "$mods/$m.ko" "$root/mod/"; fi
done
# The command runs from a file so that its quoting survives; it runs chrooted in the host's root.
{
  echo '#!/bin/sh'
  printf 'cd %s\n' "$inner_cwd"
  printf 'exec'
  for a in "$@"; do printf " '%s'" "$(printf %s "$a" | sed "s/'/'\\\\''/g")"; done
  echo
} > "$root/command"
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ifconfig lo 127.0.0.1 up # JMH talks to its forks over loopback
for m in $modules; do [ -e /mod/\$m.ko ] && insmod /mod/\$m.ko 2>/dev/null; done
fail() { echo "mpk-emulator: \$1"; echo "mpk-emulator: exit status 2"; poweroff -f; }
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /lower || fail "9p mount failed"
mount -t tmpfs -o size=1g tmp /upper; mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay /newroot || fail "overlay mount failed"
mount -t proc proc /newroot/proc && mount -t sysfs sys /newroot/sys && mount -t devtmpfs dev /newroot/dev || fail "mounts in the new root failed"
mount -t tmpfs -o size=1g tmp /newroot/tmp
mkdir -p /newroot/tmp/mpk-emulator; cp /command /newroot/tmp/mpk-emulator/command
echo "mpk-emulator: guest up after \$(cut -d' ' -f1 /proc/uptime) s; \$(grep -c -w pku /proc/cpuinfo) cpu(s) with pku"
chroot /newroot /usr/bin/env HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh /tmp/mpk-emulator/command
echo "mpk-emulator: exit status \$? after \$(cut -d' ' -f1 /proc/uptime) s"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

nice -n 10 qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "${MPK_VM_MEM:-3G}" -nographic -no-reboot \
  -kernel "$kernel" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot < /dev/null | tee "$work/console.log"
# The guest cannot return an exit status; it prints it.
status=$(sed -n 's/.*mpk-emulator: exit status \([0-9]*\).*/\1/p' "$work/console.log" | tail -1)
exit "${status:-2}"
