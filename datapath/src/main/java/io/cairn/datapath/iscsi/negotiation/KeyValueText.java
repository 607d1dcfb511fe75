package io.cairn.datapath.iscsi.negotiation;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The text format of Login and Text PDUs (RFC 7143 section 6.1): UTF-8 {@code key=value} pairs,
 * each terminated by a NUL byte. Keys are 1 to 63 characters of letters, digits, '.', '-', '+',
 * '@' and '_'; values are bounded here at {@link #MAX_VALUE_LENGTH} bytes (the RFC allows up to 255
 * unless a key says otherwise, and no key allows more than 8192).
 */
public final class KeyValueText {

  public static final int MAX_KEY_LENGTH = 63;
  public static final int MAX_VALUE_LENGTH = 8192;

  private KeyValueText() {}

  /** Parses text; empty input gives an empty list. A final pair without its NUL is accepted. */
  public static List<KeyValue> parse(byte[] text) throws TextFormatException {
    List<KeyValue> pairs = new ArrayList<>();
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    int start = 0;
    while (start < text.length) {
      int end = start;
      while (end < text.length && text[end] != 0) end++;
      if (end == start) {
        // Stray NUL (padding some initiators leave): skip it.
        start = end + 1;
        continue;
      }
      int eq = -1;
      for (int i = start; i < end; i++) {
        if (text[i] == '=') {
          eq = i;
          break;
        }
      }
      if (eq < 0) throw new TextFormatException("no '=' in text pair at byte " + start);
      int keyLength = eq - start;
      if (keyLength == 0 || keyLength > MAX_KEY_LENGTH) {
        throw new TextFormatException("key length " + keyLength + " outside 1.." + MAX_KEY_LENGTH);
      }
      for (int i = start; i < eq; i++) {
        if (!keyChar(text[i])) throw new TextFormatException("invalid character in key at byte " + i);
      }
      int valueLength = end - eq - 1;
      if (valueLength > MAX_VALUE_LENGTH) throw new TextFormatException("value longer than " + MAX_VALUE_LENGTH + " bytes");
      String key = new String(text, start, keyLength, StandardCharsets.US_ASCII);
      String value;
      try {
        value = utf8.decode(ByteBuffer.wrap(text, eq + 1, valueLength)).toString();
      } catch (CharacterCodingException e) {
        throw new TextFormatException("value of " + key + " is not UTF-8");
      }
      pairs.add(new KeyValue(key, value));
      start = end + 1;
    }
    return pairs;
  }

  /** Serializes pairs, each followed by NUL. */
  public static byte[] format(List<KeyValue> pairs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * pairs.size());
    for (KeyValue kv : pairs) {
      out.writeBytes(kv.key().getBytes(StandardCharsets.US_ASCII));
      out.write('=');
      out.writeBytes(kv.value().getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    return out.toByteArray();
  }

  private static boolean keyChar(byte b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
        || b == '.' || b == '-' || b == '+' || b == '@' || b == '_';
  }
}
