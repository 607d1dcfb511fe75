package io.cairn.config;

import com.typesafe.config.Config;

/** The unified read cache. @param capacityBytes bytes of data the cache may hold */
public record CacheSettings(long capacityBytes) {
  public static CacheSettings from(Config c) {
    return new CacheSettings(Checks.atLeast("cache.capacity", c.getBytes("capacity"), 0));
  }
}
