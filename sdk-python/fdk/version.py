"""The runtime's version (Fn FDK's ``fdk.version.VERSION``); it appears in the Fn-Fdk-Version header."""

VERSION = "0.1.0"
