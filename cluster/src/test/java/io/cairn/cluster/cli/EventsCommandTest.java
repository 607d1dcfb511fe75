package io.cairn.cluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EventsCommandTest {

  @Test
  void shouldPrintTimeKindNodeSeverityMessageAndDetails() throws Exception {
    String line = EventsCommand.format(ApiClient.JSON.readTree("""
        {"seq": 3, "kind": "member.removed", "time": "2026-12-07T20:48:00.123Z", "timeMs": 1796676480123, "node": "node-1",
         "severity": "warning", "message": "node node-2 was removed", "details": {"member": "node-2", "uid": "-47",
         "bytes": 4096, "why": "two words", "empty": ""}}
        """));
    assertEquals("2026-12-07T20:48:00.123Z  member.removed            node-1        warning   node node-2 was removed"
        + "  member=node-2 uid=-47 bytes=4096 why=\"two words\" empty=\"\"", line);
  }

  @Test
  void shouldPrintAnEventWithoutDetails() throws Exception {
    String line = EventsCommand.format(ApiClient.JSON.readTree("""
        {"kind": "rebuild.finished", "time": "2026-12-07T20:48:00Z", "node": "node-3", "severity": "info",
         "message": "done", "details": {}}
        """));
    assertEquals("2026-12-07T20:48:00Z      rebuild.finished          node-3        info      done", line);
  }
}
