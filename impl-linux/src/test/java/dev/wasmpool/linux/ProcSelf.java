package dev.wasmpool.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** Reads this process's mappings, descriptors and resident sizes from {@code /proc/self}. */
final class ProcSelf {

  private ProcSelf() {}

  /**
   * One line of {@code /proc/self/maps}.
   *
   * @param start first address
   * @param end one past the last address
   * @param perms for example {@code "rw-p"}
   * @param inode the file's inode, {@code 0} for anonymous memory
   * @param path the file or pseudo name, possibly empty
   */
  record Mapping(long start, long end, String perms, long inode, String path) {
    boolean overlaps(long from, long to) {
      return start < to && from < end;
    }

    boolean isImage() {
      return path.contains("memfd:" + LinuxImage.MEMFD_NAME);
    }
  }

  /** Every mapping of the process now. */
  static List<Mapping> maps() {
    List<Mapping> result = new ArrayList<>();
    for (String line : read("/proc/self/maps")) {
      String[] f = line.trim().split("\\s+", 6);
      String[] range = f[0].split("-");
      result.add(
          new Mapping(
              HexFormat.fromHexDigitsToLong(range[0]),
              HexFormat.fromHexDigitsToLong(range[1]),
              f[1],
              Long.parseLong(f[4]),
              f.length > 5 ? f[5] : ""));
    }
    return result;
  }

  /** Mappings that overlap {@code [from, to)}. */
  static List<Mapping> mapsIn(long from, long to) {
    return maps().stream().filter(m -> m.overlaps(from, to)).toList();
  }

  /**
   * The resident bytes of the mappings that lie wholly inside {@code [from, to)}, from smaps. A
   * mapping at the edge of a reservation may merge with a neighbour outside it, so callers keep
   * the pages they measure away from the edges (inaccessible guard pages keep them apart).
   */
  static long residentBytes(long from, long to) {
    long total = 0;
    boolean inside = false;
    for (String line : read("/proc/self/smaps")) {
      int dash = line.indexOf('-');
      int space = line.indexOf(' ');
      if (dash > 0 && space > dash && isHex(line.substring(0, dash))) {
        long start = HexFormat.fromHexDigitsToLong(line.substring(0, dash));
        long end = HexFormat.fromHexDigitsToLong(line.substring(dash + 1, space));
        inside = start >= from && end <= to;
      } else if (inside && line.startsWith("Rss:")) {
        String[] f = line.trim().split("\\s+");
        total += Long.parseLong(f[1]) * 1024; // kB
      }
    }
    return total;
  }

  /** The inode of an open descriptor, if it is open. */
  static OptionalLong inodeOfDescriptor(int fd) {
    try {
      return OptionalLong.of((Long) Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:ino"));
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The link target of an open descriptor, for example {@code "/memfd:x (deleted)"}. */
  static String linkOfDescriptor(int fd) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether any open descriptor refers to the file with this inode. */
  static boolean anyDescriptorOnInode(long inode) {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          if (((Long) Files.getAttribute(fd, "unix:ino")) == inode
              && Files.readSymbolicLink(fd).toString().contains("memfd:")) {
            return true;
          }
        } catch (NoSuchFileException e) {
          // closed while we looked (the directory stream's own descriptor, for one)
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isHex(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
  }

  private static List<String> read(String file) {
    try {
      return Files.readAllLines(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
