package com.fnproject.fn.api;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;

/** A call's answer: status, headers and a body written on demand. */
public interface OutputEvent {
  String CONTENT_TYPE_HEADER = "Content-Type";

  /** The outcome of a call and the HTTP status the platform sees for it. */
  enum Status {
    Success(200),
    FunctionError(502),
    FunctionTimeout(504),
    InternalError(500);

    private final int code;

    Status(int code) {
      this.code = code;
    }

    public int getCode() {
      return code;
    }
  }

  Status getStatus();

  Headers getHeaders();

  void writeToOutput(OutputStream out) throws IOException;

  default boolean isSuccess() {
    return getStatus() == Status.Success;
  }

  default Optional<String> getContentType() {
    return getHeaders().get(CONTENT_TYPE_HEADER);
  }

  /** This answer with other headers. */
  default OutputEvent withHeaders(Headers headers) {
    Objects.requireNonNull(headers, "headers");
    OutputEvent body = this;
    return new OutputEvent() {
      @Override
      public Status getStatus() {
        return body.getStatus();
      }

      @Override
      public Headers getHeaders() {
        return headers;
      }

      @Override
      public void writeToOutput(OutputStream out) throws IOException {
        body.writeToOutput(out);
      }
    };
  }

  static OutputEvent fromBytes(byte[] bytes, Status status, String contentType) {
    return fromBytes(bytes, status, contentType, Headers.emptyHeaders());
  }

  /** An answer with these bytes as body; a null contentType leaves the headers as given. */
  static OutputEvent fromBytes(byte[] bytes, Status status, String contentType, Headers headers) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(headers, "headers");
    Headers all = contentType == null ? headers : headers.setHeader(CONTENT_TYPE_HEADER, contentType);
    return new OutputEvent() {
      @Override
      public Status getStatus() {
        return status;
      }

      @Override
      public Headers getHeaders() {
        return all;
      }

      @Override
      public void writeToOutput(OutputStream out) throws IOException {
        out.write(bytes);
      }
    };
  }

  static OutputEvent emptyResult(Status status) {
    return fromBytes(new byte[0], status, null);
  }
}
