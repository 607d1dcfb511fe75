package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The iSCSI header and data digest: CRC32C (Castagnoli), RFC 7143 section 13.1.
 *
 * <p>Byte order on the wire: the examples of RFC 7143 Appendix A.4 give the digest of 32 zero
 * bytes as the byte sequence {@code aa 36 91 8a}, while the CRC register ({@link CRC32C#getValue()})
 * is {@code 0x8a9136aa}: the digest is transmitted least significant byte first. {@link #write}
 * and {@link #read} do exactly that.
 *
 * <p>Not thread-safe: each codec instance (one per channel) owns one.
 */
public final class Crc32c {

  /** Length of a digest on the wire, bytes. */
  public static final int LENGTH = 4;

  private static final byte[] ZEROS = new byte[LENGTH];

  private final CRC32C crc = new CRC32C();

  /** The digest of {@code length} bytes of {@code buf} from {@code index}, plus {@code padding} zero bytes. */
  public int digest(ByteBuf buf, int index, int length, int padding) {
    crc.reset();
    if (length > 0) {
      if (buf.nioBufferCount() == 1) {
        crc.update(buf.nioBuffer(index, length));
      } else {
        for (ByteBuffer b : buf.nioBuffers(index, length)) crc.update(b);
      }
    }
    if (padding > 0) crc.update(ZEROS, 0, padding);
    return (int) crc.getValue();
  }

  /** The digest of a byte array (tests, small control segments). */
  public static int of(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes, 0, bytes.length);
    return (int) c.getValue();
  }

  /** Appends a digest in wire byte order. */
  public static void write(ByteBuf out, int digest) {
    out.writeIntLE(digest);
  }

  /** Reads a digest in wire byte order at an absolute index. */
  public static int read(ByteBuf in, int index) {
    return in.getIntLE(index);
  }
}
