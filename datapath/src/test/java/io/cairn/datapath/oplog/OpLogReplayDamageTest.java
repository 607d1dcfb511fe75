package io.cairn.datapath.oplog;

import static io.cairn.datapath.oplog.OpLogTestSupport.appendSync;
import static io.cairn.datapath.oplog.OpLogTestSupport.bytes;
import static io.cairn.datapath.oplog.OpLogTestSupport.logFiles;
import static io.cairn.datapath.oplog.OpLogTestSupport.read;
import static io.cairn.datapath.oplog.OpLogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.OpLogSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of damage a crash or the medium can leave in a log file, modelled on BookKeeper's
 * BookieJournalTest: the damaged record and everything after it in its file are dropped and never
 * returned, everything before survives, the file is truncated, and the log keeps working.
 */
@Timeout(60)
class OpLogReplayDamageTest {

  @TempDir Path dir;

  static final int RECORDS = 5;
  static final int PAYLOAD = 100;
  static final int RECORD_BYTES = OpLogFormat.HEADER_LENGTH + PAYLOAD;

  /** Position of record {@code i} of the first file. */
  static long pos(int i) {
    return OpLogFormat.FILE_HEADER_LENGTH + (long) i * RECORD_BYTES;
  }

  interface Damage {
    void apply(FileChannel ch) throws IOException;
  }

  static Arguments damage(String name, int survivors, long dropped, Damage d) {
    return Arguments.of(name, survivors, dropped, d);
  }

  static Stream<Arguments> damages() {
    return Stream.of(
        damage("junk tail", 5, 1, ch -> write(ch, pos(5), filled(37, (byte) 0xAB))),
        damage("zero tail (extended, never written)", 5, 0, ch -> write(ch, pos(5), new byte[4096])),
        damage("truncated record header", 4, 1, ch -> ch.truncate(pos(4) + 20)),
        damage("header only, payload missing", 4, 1, ch -> ch.truncate(pos(4) + OpLogFormat.HEADER_LENGTH)),
        damage("truncated payload", 4, 1, ch -> ch.truncate(pos(4) + OpLogFormat.HEADER_LENGTH + 50)),
        damage("flipped payload byte in the last record", 4, 1, ch -> flip(ch, pos(4) + OpLogFormat.HEADER_LENGTH + 10)),
        damage("flipped payload byte in a middle record", 2, 3, ch -> flip(ch, pos(2) + OpLogFormat.HEADER_LENGTH + 5)),
        damage("flipped vDisk id in a middle record", 2, 3, ch -> flip(ch, pos(2) + OpLogFormat.VDISK_ID_OFFSET)),
        damage("flipped sequence in a middle record", 2, 3, ch -> flip(ch, pos(2) + OpLogFormat.SEQUENCE_OFFSET)),
        damage("flipped CRC in the last record", 4, 1, ch -> flip(ch, pos(4) + OpLogFormat.CRC_OFFSET)),
        damage("flipped magic in a middle record", 2, 1, ch -> flip(ch, pos(2) + OpLogFormat.MAGIC_OFFSET)),
        damage("payload length beyond the file in a middle record", 2, 1,
            ch -> write(ch, pos(2) + OpLogFormat.PAYLOAD_LENGTH_OFFSET, le(1 << 30))),
        damage("zeroed middle record (lost sectors)", 2, 1, ch -> write(ch, pos(2), new byte[RECORD_BYTES])),
        damage("record copied over a later one (stale sequence)", 3, 2, ch -> {
          ByteBuffer rec = ByteBuffer.allocate(RECORD_BYTES);
          ch.read(rec, pos(1));
          write(ch, pos(3), rec.array());
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void shouldDropTheDamagedRecordAndEverythingAfterItInItsFile(String name, int survivors, long dropped, Damage damage)
      throws Exception {
    OpLogSettings s = settings(dir);
    try (FileOpLog log = FileOpLog.open(s)) {
      for (int i = 0; i < RECORDS; i++) appendSync(log, 1, (long) i * 4096, bytes(i, PAYLOAD));
    }
    Path file = logFiles(dir).get(0);
    assertEquals(pos(RECORDS), Files.size(file));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      damage.apply(ch);
    }

    try (FileOpLog log = FileOpLog.open(s)) {
      OpLogStats st = log.stats();
      assertEquals(survivors, st.replayedRecords(), "replayed");
      assertEquals(dropped, st.droppedTailRecords(), "dropped");
      assertEquals(pos(survivors), Files.size(file), "truncated at the damage");
      for (int i = 0; i < RECORDS; i++) {
        if (i < survivors) {
          assertArrayEquals(bytes(i, PAYLOAD), read(log, 1, (long) i * 4096, PAYLOAD, new byte[PAYLOAD]), "record " + i);
        } else {
          assertFalse(log.hasUndrained(1, (long) i * 4096, PAYLOAD), "record " + i + " must be gone");
          assertTrue(log.capture(1, (long) i * 4096, PAYLOAD).isEmpty());
        }
      }
      // the log keeps working: new appends go to a new file
      appendSync(log, 1, 1 << 20, bytes(99, 4096));
    }
    try (FileOpLog log = FileOpLog.open(s)) {
      assertEquals(0, log.stats().droppedTailRecords());
      assertEquals(survivors + 1, log.stats().replayedRecords());
      assertArrayEquals(bytes(99, 4096), read(log, 1, 1 << 20, 4096, new byte[4096]));
      for (int i = 0; i < survivors; i++) {
        assertArrayEquals(bytes(i, PAYLOAD), read(log, 1, (long) i * 4096, PAYLOAD, new byte[PAYLOAD]));
      }
    }
  }

  @Test
  void shouldKeepRecordsOfLaterFilesWhenAnEarlierFileIsDamaged() throws Exception {
    OpLogSettings s = settings(dir);
    try (FileOpLog log = FileOpLog.open(s)) {
      for (int i = 0; i < RECORDS; i++) appendSync(log, 1, (long) i * 4096, bytes(i, PAYLOAD));
    }
    try (FileOpLog log = FileOpLog.open(s)) { // second file
      appendSync(log, 2, 0, bytes(50, PAYLOAD));
    }
    List<Path> files = logFiles(dir);
    assertEquals(2, files.size()); // each open starts one file
    try (FileChannel ch = FileChannel.open(files.get(0), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      flip(ch, pos(3) + OpLogFormat.HEADER_LENGTH);
    }
    try (FileOpLog log = FileOpLog.open(s)) {
      assertEquals(2, log.stats().droppedTailRecords());
      assertArrayEquals(bytes(50, PAYLOAD), read(log, 2, 0, PAYLOAD, new byte[PAYLOAD]));
      assertFalse(log.hasUndrained(1, 3 * 4096, 2 * 4096));
      assertTrue(log.hasUndrained(1, 2 * 4096, PAYLOAD));
    }
  }

  @Test
  void shouldDeleteAFileWhoseCreationWasTorn() throws Exception {
    OpLogSettings s = settings(dir);
    try (FileOpLog log = FileOpLog.open(s)) {
      appendSync(log, 1, 0, bytes(1, PAYLOAD));
    }
    Path torn = dir.resolve(OpLogFormat.fileName(40));
    Files.write(torn, new byte[OpLogFormat.FILE_HEADER_LENGTH]); // header never reached the disk
    Path shortFile = dir.resolve(OpLogFormat.fileName(41));
    Files.write(shortFile, new byte[] {0x43, 0x4c});
    try (FileOpLog log = FileOpLog.open(s)) {
      assertFalse(Files.exists(torn));
      assertFalse(Files.exists(shortFile));
      assertArrayEquals(bytes(1, PAYLOAD), read(log, 1, 0, PAYLOAD, new byte[PAYLOAD]));
      appendSync(log, 1, 4096, bytes(2, PAYLOAD));
    }
    try (FileOpLog log = FileOpLog.open(s)) {
      assertArrayEquals(bytes(2, PAYLOAD), read(log, 1, 4096, PAYLOAD, new byte[PAYLOAD]));
    }
  }

  @Test
  void shouldSetAsideAFileWithACorruptHeaderAndNeverReturnItsRecords() throws Exception {
    OpLogSettings s = settings(dir);
    try (FileOpLog log = FileOpLog.open(s)) {
      appendSync(log, 1, 0, bytes(1, PAYLOAD));
    }
    Path file = logFiles(dir).get(0);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      flip(ch, OpLogFormat.FILE_SEQUENCE_OFFSET);
    }
    try (FileOpLog log = FileOpLog.open(s)) {
      assertFalse(log.hasUndrained(1, 0, PAYLOAD));
      assertTrue(Files.exists(file.resolveSibling(file.getFileName() + OpLogFormat.CORRUPT_SUFFIX)));
    }
  }

  @Test
  void shouldKeepSequencesIncreasingAcrossReopens() throws Exception {
    OpLogSettings s = settings(dir);
    for (int round = 0; round < 3; round++) {
      try (FileOpLog log = FileOpLog.open(s)) {
        appendSync(log, 1, 0, bytes(round, PAYLOAD)); // same range: newest wins only if sequences increase
        appendSync(log, 2, round * 4096L, bytes(10 + round, PAYLOAD)); // keeps every file live (untrimmed)
      }
    }
    try (FileOpLog log = FileOpLog.open(s)) {
      assertEquals(6, log.stats().replayedRecords());
      assertArrayEquals(bytes(2, PAYLOAD), read(log, 1, 0, PAYLOAD, new byte[PAYLOAD]));
    }
  }

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    java.util.Arrays.fill(a, b);
    return a;
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  private static void write(FileChannel ch, long pos, byte[] b) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(b);
    while (bb.hasRemaining()) ch.write(bb, pos + bb.position());
  }

  private static void flip(FileChannel ch, long pos) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1);
    ch.read(b, pos);
    b.put(0, (byte) (b.get(0) ^ 0x01));
    b.rewind();
    ch.write(b, pos);
  }
}
