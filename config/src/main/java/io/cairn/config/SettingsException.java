package io.cairn.config;

/** A setting is missing, malformed or out of its allowed range; names the offending path. */
public final class SettingsException extends RuntimeException {
  public SettingsException(String path, String problem) {
    super("invalid setting cairn." + path + ": " + problem);
  }
}
