package io.cairn.cluster.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layout of a local cluster: ports, domains, seeds, journal, the layout file and PID files. */
class LocalClusterTest {

  @TempDir
  Path dir;

  @Test
  void shouldGiveEveryNodeItsOwnPortsDirectoryAndDomains() {
    LocalCluster c = new LocalCluster(dir, 5, 3, 2, 13300, null, null);

    assertEquals(13300, c.h2Port());
    assertEquals(new LocalCluster.Node(1, "node-1", "block-1", "rack-1", dir.resolve("node-1"), 13310, 13311, 13312, 13313), c.node(1));
    assertEquals(new LocalCluster.Node(5, "node-5", "block-2", "rack-2", dir.resolve("node-5"), 13350, 13351, 13352, 13353), c.node(5));
    assertEquals(List.of("block-1", "block-2", "block-3", "block-1", "block-2"), c.allNodes().stream().map(LocalCluster.Node::block).toList());
    assertEquals(List.of("rack-1", "rack-2", "rack-1", "rack-1", "rack-2"), c.allNodes().stream().map(LocalCluster.Node::rack).toList());
    assertEquals(dir.resolve("node-3/node.pid"), c.node(3).pidFile());
    assertEquals("http://127.0.0.1:13323", c.node(2).apiUrl());
  }

  @Test
  void shouldSeedWithTheFirstThreeNodesNodeOneFirst() {
    assertEquals(List.of("127.0.0.1:13310", "127.0.0.1:13320", "127.0.0.1:13330"), new LocalCluster(dir, 5, 5, 1, 13300, "", "").seeds());
    assertEquals(List.of("127.0.0.1:13310"), new LocalCluster(dir, 1, 1, 1, 13300, "", "").seeds());
  }

  @Test
  void shouldPointNodesAtItsOwnH2ServerUnlessGivenAJournal() {
    LocalCluster own = new LocalCluster(dir, 3, 3, 1, 13300, "", "");
    LocalCluster pg = new LocalCluster(dir, 3, 3, 1, 13300, "jdbc:postgresql://127.0.0.1:13395/cairn", "cairn");

    assertTrue(own.ownJournalServer());
    assertEquals("jdbc:h2:tcp://127.0.0.1:13300/cairn;WRITE_DELAY=0", own.nodeJournalUrl());
    assertEquals("sa", own.nodeJournalUser());
    assertFalse(pg.ownJournalServer());
    assertEquals("jdbc:postgresql://127.0.0.1:13395/cairn", pg.nodeJournalUrl());
    assertEquals("cairn", pg.nodeJournalUser());
  }

  @Test
  void shouldReadBackTheLayoutItSaved() {
    LocalCluster c = new LocalCluster(dir, 4, 2, 1, 13300, "jdbc:postgresql://h/db", "u");
    c.save();

    assertEquals(c, LocalCluster.load(dir).orElseThrow());
    assertTrue(LocalCluster.load(dir.resolve("elsewhere")).isEmpty());
  }

  @Test
  void shouldRejectLayoutsThatDoNotFit() {
    assertThrows(IllegalArgumentException.class, () -> new LocalCluster(dir, 0, 1, 1, 13300, "", ""));
    assertThrows(IllegalArgumentException.class, () -> new LocalCluster(dir, 3, 4, 1, 13300, "", ""), "more blocks than nodes");
    assertThrows(IllegalArgumentException.class, () -> new LocalCluster(dir, 3, 2, 3, 13300, "", ""), "more racks than blocks");
    assertThrows(IllegalArgumentException.class, () -> new LocalCluster(dir, 3, 3, 1, 65520, "", ""), "ports beyond 65535");
    assertThrows(IllegalArgumentException.class, () -> new LocalCluster(dir, 3, 3, 1, 80, "", ""), "privileged ports");
  }

  @Test
  void shouldIgnoreAPidFileWhoseProcessIsNotOneOfTheCluster() throws Exception {
    Path pidFile = dir.resolve("node.pid");
    // This JVM is alive but its command line does not name the cluster directory.
    LocalCluster.writePid(pidFile, ProcessHandle.current().pid());

    assertTrue(LocalCluster.liveProcess(pidFile, dir.resolve("no-such-cluster-dir").toString()).isEmpty());
    assertTrue(LocalCluster.liveProcess(dir.resolve("missing.pid"), "x").isEmpty());
  }

  @Test
  void shouldFindAPidFileWhoseProcessNamesTheCluster() throws Exception {
    // A shell that stays in place (two commands) with the directory as its $0.
    Process p = new ProcessBuilder("sh", "-c", "sleep 30; true", dir.toString()).start();
    try {
      Path pidFile = dir.resolve("node.pid");
      LocalCluster.writePid(pidFile, p.pid());

      assertEquals(p.pid(), LocalCluster.liveProcess(pidFile, dir.toString()).orElseThrow().pid());
    } finally {
      p.destroyForcibly().waitFor();
    }
  }
}
