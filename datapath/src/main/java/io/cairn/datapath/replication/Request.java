package io.cairn.datapath.replication;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A request to a peer's replica (see {@link FrameType} for the wire fields). Payload buffers stay
 * owned by the caller: they must stay valid and unchanged until the request's future completes
 * (a retry re-sends them), and are not released by the endpoint. Every request type is idempotent,
 * so a retry after a lost or damaged reply is harmless.
 */
public sealed interface Request {

  /** The frame type code. */
  byte type();

  /** The payload bytes (readable bytes of a buffer), or null when the type has none. */
  default ByteBuf payload() {
    return null;
  }

  /** Store one OpLog record (a write of {@code payload} at vDisk {@code offset}) in the peer's replica log. */
  record OplogReplicate(long vdiskId, long episode, long writeSeq, long offset, ByteBuf payload) implements Request {
    public OplogReplicate {
      Objects.requireNonNull(payload, "payload");
    }

    @Override
    public byte type() {
      return FrameType.OPLOG_REPLICATE;
    }
  }

  /** Drop the vDisk's replica records with a write sequence below {@code belowWriteSeq} (drained). */
  record OplogTrim(long vdiskId, long belowWriteSeq) implements Request {
    @Override
    public byte type() {
      return FrameType.OPLOG_TRIM;
    }
  }

  /**
   * Read the vDisk's live replica records with write sequence &gt;= {@code fromWriteSeq}, at most
   * about {@code maxBytes} of payload (at least one record) per page.
   */
  record OplogFetch(long vdiskId, long fromWriteSeq, int maxBytes) implements Request {
    @Override
    public byte type() {
      return FrameType.OPLOG_FETCH;
    }
  }

  /** Drop every replica record of the vDisk. */
  record OplogDiscard(long vdiskId) implements Request {
    @Override
    public byte type() {
      return FrameType.OPLOG_DISCARD;
    }
  }

  /** Create the peer's replica of an egroup, on disk {@code diskHint} when not null. */
  record EgroupCreate(long egroupId, String diskHint) implements Request {
    @Override
    public byte type() {
      return FrameType.EGROUP_CREATE;
    }
  }

  /** Write {@code payload} at {@code offset} of the peer's egroup replica; ACKed when durable. */
  record EgroupWrite(long egroupId, long offset, ByteBuf payload) implements Request {
    public EgroupWrite {
      Objects.requireNonNull(payload, "payload");
    }

    @Override
    public byte type() {
      return FrameType.EGROUP_WRITE;
    }
  }

  /** Read {@code length} bytes at {@code offset} of the peer's egroup replica (checksums verified there). */
  record EgroupRead(long egroupId, long offset, int length) implements Request {
    @Override
    public byte type() {
      return FrameType.EGROUP_READ;
    }
  }

  /** Delete the peer's egroup replica. */
  record EgroupDelete(long egroupId) implements Request {
    @Override
    public byte type() {
      return FrameType.EGROUP_DELETE;
    }
  }

  /**
   * Deallocate the slices of {@code [offset, offset+length)} (whole slices) of the peer's egroup
   * replica; ACKed when durable.
   */
  record EgroupDeallocate(long egroupId, long offset, long length) implements Request {
    @Override
    public byte type() {
      return FrameType.EGROUP_DEALLOCATE;
    }
  }

  /** Which slices of {@code [offset, offset+length)} of the peer's egroup replica hold written data. */
  record EgroupWritten(long egroupId, long offset, long length) implements Request {
    @Override
    public byte type() {
      return FrameType.EGROUP_WRITTEN;
    }
  }
}
