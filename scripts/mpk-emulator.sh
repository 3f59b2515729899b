#!/bin/sh
# Boots this machine's Debian kernel under QEMU TCG with an emulated PKU CPU (-cpu max) and runs
# a command inside, with this machine's filesystem shared read-only over 9p (an in-memory overlay
# on top lets the guest write). Output goes to stdout (the guest's serial console).
#
#   scripts/mpk-emulator.sh [command...]     default: scripts/mpk-emulator-tests.sh
#
# Needs: qemu-system-x86, linux-image-amd64, busybox-static, cpio (Debian packages), run as root
# or with read access to / . MPK_VM_MEM (default 3G) sets the guest's RAM; one vCPU only.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
kver=${MPK_KERNEL_VERSION:-$(ls /lib/modules | sort -V | tail -1)}
kernel=/boot/vmlinuz-$kver
mods=/lib/modules/$kver/kernel
for f in "$kernel" /bin/busybox "$mods/fs/9p/9p.ko"; do
  [ -e "$f" ] || { echo "mpk-emulator: missing $f (apt-get install qemu-system-x86 linux-image-amd64 busybox-static cpio)" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "mpk-emulator: qemu-system-x86_64 not found" >&2; exit 2; }
if [ $# -eq 0 ]; then set -- "$here/scripts/mpk-emulator-tests.sh"; fi

work=$(mktemp -d /tmp/mpk-emulator.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/initramfs
mkdir -p "$root/bin" "$root/mod" "$root/lower" "$root/upper" "$root/newroot" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
# Load order follows the modules' dependencies (modinfo depends).
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
         drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio \
         fs/netfs/netfs fs/fscache/fscache fs/9p/9p fs/overlayfs/overlay; do
  f=$mods/$m.ko
  if [ -e "$f" ]; then cp "$f" "$root/mod/"; fi
done
# The command runs from a file so that quoting survives; it runs in the host's root (chroot).
{
  echo '#!/bin/sh'
  printf 'cd %s\n' "$(pwd)"
  printf 'exec'; for a in "$@"; do printf " '%s'" "$(printf %s "$a" | sed "s/'/'\\\\''/g")"; done; echo
} > "$work/command"
chmod +x "$work/command"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay; do
  [ -e /mod/$m.ko ] && insmod /mod/$m.ko 2>/dev/null
done
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /lower || { echo "mpk-emulator: 9p mount failed"; poweroff -f; }
mount -t tmpfs -o size=1g tmp /upper; mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay /newroot || { echo "mpk-emulator: overlay mount failed"; poweroff -f; }
mount -t proc proc /newroot/proc && mount -t sysfs sys /newroot/sys && mount -t devtmpfs dev /newroot/dev || echo "mpk-emulator: mounts in the new root failed"
mount -t tmpfs -o size=1g tmp /newroot/tmp
mkdir -p /newroot/tmp/mpk-emulator; cp /command /newroot/tmp/mpk-emulator/command
echo "mpk-emulator: guest up after $(cut -d' ' -f1 /proc/uptime) s; $(grep -c pku /proc/cpuinfo) cpu(s) with pku"
chroot /newroot /usr/bin/env HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh /tmp/mpk-emulator/command
echo "mpk-emulator: exit status $? after $(cut -d' ' -f1 /proc/uptime) s"
poweroff -f
INIT
chmod +x "$root/init"
cp "$work/command" "$root/command"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

exec nice -n 10 qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "${MPK_VM_MEM:-3G}" -nographic -no-reboot \
  -kernel "$kernel" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
