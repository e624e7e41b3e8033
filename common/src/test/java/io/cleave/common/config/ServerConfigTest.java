package io.cleave.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ServerConfigTest {
  @Test
  void byteSizesTakeBinaryUnits() {
    assertEquals(65536, ServerConfig.parseBytes("65536"));
    assertEquals(512 * 1024, ServerConfig.parseBytes("512k"));
    assertEquals(6L * 1024 * 1024, ServerConfig.parseBytes("6m"));
    assertEquals(6L * 1024 * 1024, ServerConfig.parseBytes("6MB"));
    assertEquals(1024L * 1024 * 1024, ServerConfig.parseBytes(" 1g "));
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.parseBytes("six"));
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.parseBytes("0"));
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.parseBytes("-5m"));
  }
}
