package io.cairn.cluster.cli;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with columns padded to their widest cell. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    rows.add(header);
  }

  Table row(Object... cells) {
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]);
    rows.add(r);
    return this;
  }

  void print() {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) for (int i = 0; i < cols; i++) width[i] = Math.max(width[i], r[i].length());
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        b.append(r[i]);
        if (i < cols - 1) b.append(" ".repeat(width[i] - r[i].length() + 2));
      }
      System.out.println(b.toString().stripTrailing());
    }
  }
}
