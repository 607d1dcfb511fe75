package io.cairn.datapath.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.oplog.OpLogFormat;
import io.cairn.datapath.oplog.ReplicaLog;
import io.cairn.datapath.oplog.ReplicaLogFormat;
import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The replica log (io.cairn.datapath.oplog.ReplicaLog), through its public API and its files. */
@Timeout(60)
class ReplicaLogTest {

  @TempDir Path dir;

  private ReplicaLog.Settings settings(Path d) {
    return new ReplicaLog.Settings(d, 1 << 20, 256 << 10);
  }

  private static byte[] data(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void await(CompletableFuture<?> f) throws Exception {
    f.get(20, TimeUnit.SECONDS);
  }

  private static ReplicaRecord append(ReplicaLog log, long vdisk, long episode, long ws, long offset, int len)
      throws Exception {
    byte[] d = data(vdisk * 1_000_003 + ws, len);
    await(log.append(vdisk, episode, ws, offset, Unpooled.wrappedBuffer(d)));
    return new ReplicaRecord(vdisk, episode, ws, offset, d);
  }

  private List<Path> files(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> ReplicaLogFormat.parseFileName(p.getFileName().toString()) >= 0).sorted().toList();
    }
  }

  /** The directory as a crash would leave it: a byte copy of every file while the log is open. */
  private Path crashCopy(Path from) throws IOException {
    Path to = Files.createTempDirectory(dir, "crash-");
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) Files.copy(p, to.resolve(p.getFileName()));
    }
    return to;
  }

  @Test
  void shouldFetchLiveRecordsInWriteSeqOrderPerVDisk() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      ReplicaRecord r5 = append(log, 1, 0, 5, 4096, 4096);
      ReplicaRecord r3 = append(log, 1, 0, 3, 0, 512);
      ReplicaRecord other = append(log, 2, 1, 4, 1 << 30, 100);
      ReplicaRecord r9 = append(log, 1, 1, 9, 1L << 30, 8192);
      assertEquals(List.of(r3, r5, r9), log.fetch(1).records());
      assertEquals(List.of(other), log.fetch(2).records());
      assertTrue(log.fetch(3).records().isEmpty());
      assertEquals(-1, log.fetch(1).next());
    }
  }

  @Test
  void shouldPageAFetchByBytes() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      List<ReplicaRecord> all = new ArrayList<>();
      for (int ws = 0; ws < 10; ws++) all.add(append(log, 1, 0, ws, ws * 1000L, 1000));
      ReplicaPage p1 = log.fetch(1, 0, 3500);
      assertEquals(all.subList(0, 3), p1.records());
      assertEquals(3, p1.next());
      ReplicaPage p2 = log.fetch(1, p1.next(), 3500);
      assertEquals(all.subList(3, 6), p2.records());
      assertEquals(all.subList(9, 10), log.fetch(1, 9, 1).records());
      assertEquals(all.subList(0, 1), log.fetch(1, 0, 1).records(), "a page holds at least one record");
    }
  }

  @Test
  void shouldReplaceARecordResentWithTheSameWriteSeq() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      append(log, 1, 0, 7, 0, 4096);
      byte[] again = data(99, 2048);
      await(log.append(1, 0, 7, 8192, Unpooled.wrappedBuffer(again)));
      assertEquals(List.of(new ReplicaRecord(1, 0, 7, 8192, again)), log.fetch(1).records());
      assertEquals(1, log.stats().liveRecords());
      assertEquals(2048, log.stats().liveBytes());
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(1, log.fetch(1).records().size(), "the replacement wins at replay too");
      assertEquals(8192, log.fetch(1).records().get(0).offset());
    }
  }

  @Test
  void shouldTrimBelowTheBoundAndIgnoreLateRecordsUnderIt() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      for (int ws = 1; ws <= 6; ws++) append(log, 1, 0, ws, ws * 4096L, 4096);
      ReplicaRecord keep = append(log, 2, 0, 1, 0, 4096);
      await(log.trim(1, 5));
      assertEquals(List.of(5L, 6L), log.fetch(1).records().stream().map(ReplicaRecord::writeSeq).toList());
      append(log, 1, 0, 3, 0, 4096); // a late re-send of a drained write
      assertEquals(2, log.fetch(1).records().size());
      await(log.trim(1, 2)); // a lower bound changes nothing
      assertEquals(List.of(keep), log.fetch(2).records());
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(List.of(5L, 6L), log.fetch(1).records().stream().map(ReplicaRecord::writeSeq).toList());
      append(log, 1, 0, 4, 0, 4096);
      assertEquals(2, log.fetch(1).records().size(), "the bound survives a restart");
    }
  }

  @Test
  void shouldDiscardEveryEarlierRecordOfAVDiskOnly() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      append(log, 1, 0, 1, 0, 4096);
      append(log, 1, 0, 2, 4096, 4096);
      ReplicaRecord other = append(log, 2, 0, 1, 0, 4096);
      await(log.discard(1));
      assertTrue(log.fetch(1).records().isEmpty());
      ReplicaRecord later = append(log, 1, 3, 10, 0, 512);
      assertEquals(List.of(later), log.fetch(1).records());
      assertEquals(List.of(other), log.fetch(2).records());
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(1, log.fetch(1).records().size());
      assertEquals(10, log.fetch(1).records().get(0).writeSeq());
    }
  }

  @Test
  void shouldKeepEveryAcknowledgedRecordAfterACrash() throws Exception {
    List<ReplicaRecord> expect = new ArrayList<>();
    Path copy;
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      List<CompletableFuture<Void>> fs = new ArrayList<>();
      List<ReplicaRecord> recs = new ArrayList<>();
      for (int ws = 0; ws < 64; ws++) recs.add(new ReplicaRecord(4, ws / 16, ws, ws * 65536L, data(ws, 1 + (ws * 7919) % 60000)));
      for (ReplicaRecord r : recs) { // queued back to back: the writer takes several per fsync
        fs.add(log.append(4, r.episode(), r.writeSeq(), r.offset(), Unpooled.wrappedBuffer(r.data())));
      }
      for (CompletableFuture<Void> f : fs) await(f);
      await(log.trim(4, 10));
      expect.addAll(recs.subList(10, 64));
      copy = crashCopy(dir); // as if the process died here: no close
      assertTrue(log.stats().fsyncs() < 64, "appends queued together share fsyncs (group commit): " + log.stats());
    }
    try (ReplicaLog log = ReplicaLog.open(settings(copy))) {
      assertEquals(expect, log.fetch(4).records());
      assertEquals(0, log.stats().droppedRecords());
    }
  }

  @Test
  void shouldTruncateATornTailAndKeepTheRecordsBeforeIt() throws Exception {
    List<ReplicaRecord> recs = new ArrayList<>();
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      for (int ws = 0; ws < 3; ws++) recs.add(append(log, 1, 0, ws, 0, 10_000));
    }
    Path last = files(dir).get(0);
    long full = Files.size(last);
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.truncate(full - 5000); // the third record's payload only half written
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(recs.subList(0, 2), log.fetch(1).records());
      assertEquals(1, log.stats().droppedRecords());
      assertEquals(2, log.stats().replayedRecords());
      append(log, 1, 0, 2, 0, 100); // the torn write's re-send is accepted
      assertEquals(3, log.fetch(1).records().size());
    }
    assertEquals(OpLogFormat.FILE_HEADER_LENGTH + 2L * (ReplicaLogFormat.HEADER_LENGTH + 10_000), Files.size(last),
        "truncated to the end of the last whole record");
  }

  @Test
  void shouldIgnoreZerosAFileSystemLeftAfterTheLastRecord() throws Exception {
    List<ReplicaRecord> recs = new ArrayList<>();
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      for (int ws = 0; ws < 2; ws++) recs.add(append(log, 1, 0, ws, 0, 3000));
    }
    Path f = files(dir).get(0);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.allocate(8192));
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(recs, log.fetch(1).records());
      assertEquals(0, log.stats().droppedRecords());
    }
  }

  @Test
  void shouldDropACorruptRecordAndTheRestOfItsFile() throws Exception {
    List<ReplicaRecord> recs = new ArrayList<>();
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      for (int ws = 0; ws < 4; ws++) recs.add(append(log, 1, 0, ws, 0, 1000));
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      recs.add(append(log, 1, 0, 4, 0, 1000)); // in the second file
    }
    Path first = files(dir).get(0);
    flip(first, OpLogFormat.FILE_HEADER_LENGTH + (ReplicaLogFormat.HEADER_LENGTH + 1000) + ReplicaLogFormat.HEADER_LENGTH + 10);
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(List.of(recs.get(0), recs.get(4)), log.fetch(1).records(),
          "record 1 fails its CRC; 2 and 3 after it in the file go too; the next file replays");
      assertEquals(3, log.stats().droppedRecords());
    }
  }

  @Test
  void shouldReportARecordDamagedOnDiskAsUnreadableInsteadOfReturningIt() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      ReplicaRecord a = append(log, 1, 0, 0, 0, 1000);
      append(log, 1, 0, 1, 0, 1000);
      ReplicaRecord c = append(log, 1, 0, 2, 0, 1000);
      Path f = files(dir).get(0);
      flip(f, OpLogFormat.FILE_HEADER_LENGTH + (ReplicaLogFormat.HEADER_LENGTH + 1000) + ReplicaLogFormat.HEADER_LENGTH + 500);
      ReplicaPage page = log.fetch(1);
      assertEquals(List.of(a, c), page.records());
      assertEquals(List.of(1L), page.unreadable());
    }
  }

  @Test
  void shouldDeleteFilesWhoseRecordsAreAllDeadKeepingTrimsUntilOldest() throws Exception {
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      append(log, 1, 0, 1, 0, 4096); // file 1: live until vDisk 1 is trimmed
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      append(log, 2, 0, 1, 0, 4096);
      await(log.trim(2, 2)); // file 2: all dead, but holds a TRIM and file 1 is older
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      for (int ws = 0; ws < 8; ws++) append(log, 3, 0, ws, 0, 300 << 10); // files 3..: rolled at 1 MiB
      await(log.trim(3, 8));
      waitFor(() -> fileSeqs().equals(List.of(1L, 2L, lastSeq())), "dead files without TRIM go at once");
      assertEquals(List.of(1L, 2L), fileSeqs().subList(0, 2));
      await(log.trim(1, 2)); // file 1 dies; then file 2 is the oldest and goes too
      waitFor(() -> fileSeqs().equals(List.of(lastSeq())), "file 1 then file 2 deleted");
      // the counter follows each deletion's directory fsync: wait for it rather than race it
      waitFor(() -> log.stats().deletedFiles() >= 4, "4 deletions counted: " + log.stats());
    }
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertTrue(log.fetch(1).records().isEmpty());
      assertTrue(log.fetch(2).records().isEmpty());
      assertTrue(log.fetch(3).records().isEmpty());
    }
  }

  @Test
  void shouldSetAsideAFileWithACorruptHeaderAndDeleteATornCreation() throws Exception {
    ReplicaRecord r;
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      r = append(log, 1, 0, 0, 0, 100);
    }
    Files.write(dir.resolve(ReplicaLogFormat.fileName(7)), new byte[0]);
    Files.write(dir.resolve(ReplicaLogFormat.fileName(8)), data(1, 4096));
    try (ReplicaLog log = ReplicaLog.open(settings(dir))) {
      assertEquals(List.of(r), log.fetch(1).records());
    }
    assertFalse(Files.exists(dir.resolve(ReplicaLogFormat.fileName(7))));
    assertTrue(Files.exists(dir.resolve(ReplicaLogFormat.fileName(8) + ReplicaLogFormat.CORRUPT_SUFFIX)));
  }

  @Test
  void shouldRejectBadRecordsAndWorkAfterClose() throws Exception {
    ReplicaLog log = ReplicaLog.open(settings(dir));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> log.append(1, 0, 1, -1, Unpooled.wrappedBuffer(new byte[1])).get());
    assertInstanceOf(IllegalArgumentException.class, e.getCause());
    assertThrows(ExecutionException.class, () -> log.append(1, 0, 1, 0, Unpooled.EMPTY_BUFFER).get());
    log.close();
    assertThrows(ExecutionException.class, () -> log.append(1, 0, 1, 0, Unpooled.wrappedBuffer(new byte[1])).get());
  }

  private long lastSeq() throws IOException {
    List<Long> s = fileSeqs();
    return s.get(s.size() - 1);
  }

  private List<Long> fileSeqs() throws IOException {
    return files(dir).stream().map(p -> ReplicaLogFormat.parseFileName(p.getFileName().toString())).toList();
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void waitFor(Check c, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.ok()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
      Thread.sleep(10);
    }
  }

  private static void flip(Path f, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, position);
      b.put(0, (byte) (b.get(0) ^ 0x40));
      b.rewind();
      ch.write(b, position);
    }
  }
}
