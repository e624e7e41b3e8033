package io.cleave.forkd.api;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of forkd's wire records on the order channel ({@link OrderChannel}): every
 * component of a record in declaration order, by its declared type, so a field added to
 * {@link StartRequest} or {@link StartedInstance} travels without touching this class. Both ends
 * run the same build (forkd is started from the server's own classpath), so no names are sent.
 * Carries strings, the boxed and primitive int, long, double and boolean, enums (by name), lists,
 * maps and nested records of these; a reference is preceded by a presence byte (null allowed).
 */
public final class RecordCodec {
  /** The longest string or collection accepted when reading: a bad frame is refused, not allocated. */
  private static final int MAX_LENGTH = 4 << 20;

  private record Shape(RecordComponent[] components, Constructor<?> constructor) {}

  private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
    @Override
    protected Shape computeValue(Class<?> type) {
      RecordComponent[] components = type.getRecordComponents();
      if (components == null) {
        throw new IllegalArgumentException(type.getName() + " is not a record");
      }
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        check(components[i].getGenericType(), type.getSimpleName() + "." + components[i].getName());
        types[i] = components[i].getType();
        components[i].getAccessor().setAccessible(true);
      }
      try {
        Constructor<?> c = type.getDeclaredConstructor(types);
        c.setAccessible(true);
        return new Shape(components, c);
      } catch (NoSuchMethodException e) {
        throw new IllegalArgumentException(type.getName() + " has no canonical constructor", e);
      }
    }
  };

  private RecordCodec() {}

  /** Checks once that every component of {@code type} can travel; throws naming the one that cannot. */
  public static void requireCarried(Class<? extends Record> type) {
    SHAPES.get(type);
  }

  public static void write(DataOutput out, Record value) throws IOException {
    writeRecord(out, value, SHAPES.get(value.getClass()));
  }

  public static <T extends Record> T read(DataInput in, Class<T> type) throws IOException {
    return type.cast(readRecord(in, SHAPES.get(type)));
  }

  public static void writeString(DataOutput out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  public static String readString(DataInput in) throws IOException {
    byte[] b = new byte[length(in)];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void check(Type t, String where) {
    Class<?> raw = raw(t);
    if (raw == String.class || raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class
        || raw == double.class || raw == Double.class || raw == boolean.class || raw == Boolean.class || raw.isEnum()) {
      return;
    }
    if (raw.isRecord()) {
      SHAPES.get(raw);
      return;
    }
    if ((raw == List.class || raw == Map.class) && t instanceof ParameterizedType p) {
      for (Type arg : p.getActualTypeArguments()) {
        check(arg, where);
      }
      return;
    }
    throw new IllegalArgumentException("forkd's order channel cannot carry " + where + " of type " + t.getTypeName());
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    throw new IllegalArgumentException("forkd's order channel cannot carry values of type " + t.getTypeName());
  }

  private static void writeRecord(DataOutput out, Object value, Shape shape) throws IOException {
    for (RecordComponent c : shape.components()) {
      Object v;
      try {
        v = c.getAccessor().invoke(value);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c.getName() + " of " + value.getClass().getName(), e);
      }
      writeValue(out, v, c.getGenericType());
    }
  }

  private static Object readRecord(DataInput in, Shape shape) throws IOException {
    RecordComponent[] cs = shape.components();
    Object[] args = new Object[cs.length];
    for (int i = 0; i < cs.length; i++) {
      args[i] = readValue(in, cs[i].getGenericType());
    }
    try {
      return shape.constructor().newInstance(args);
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException("bad " + shape.constructor().getDeclaringClass().getSimpleName() + ": " + cause.getMessage(),
          cause);
    }
  }

  private static void writeValue(DataOutput out, Object v, Type t) throws IOException {
    Class<?> raw = raw(t);
    if (raw == int.class) {
      out.writeInt((Integer) v);
    } else if (raw == long.class) {
      out.writeLong((Long) v);
    } else if (raw == double.class) {
      out.writeDouble((Double) v);
    } else if (raw == boolean.class) {
      out.writeBoolean((Boolean) v);
    } else if (v == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1);
      if (raw == String.class) {
        writeString(out, (String) v);
      } else if (raw == Integer.class) {
        out.writeInt((Integer) v);
      } else if (raw == Long.class) {
        out.writeLong((Long) v);
      } else if (raw == Double.class) {
        out.writeDouble((Double) v);
      } else if (raw == Boolean.class) {
        out.writeBoolean((Boolean) v);
      } else if (raw.isEnum()) {
        writeString(out, ((Enum<?>) v).name());
      } else if (raw.isRecord()) {
        writeRecord(out, v, SHAPES.get(raw));
      } else if (raw == List.class) {
        Type element = ((ParameterizedType) t).getActualTypeArguments()[0];
        List<?> list = (List<?>) v;
        out.writeInt(list.size());
        for (Object e : list) {
          writeValue(out, e, element);
        }
      } else {
        Type[] kv = ((ParameterizedType) t).getActualTypeArguments();
        Map<?, ?> map = (Map<?, ?>) v;
        out.writeInt(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
          writeValue(out, e.getKey(), kv[0]);
          writeValue(out, e.getValue(), kv[1]);
        }
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object readValue(DataInput in, Type t) throws IOException {
    Class<?> raw = raw(t);
    if (raw == int.class) {
      return in.readInt();
    } else if (raw == long.class) {
      return in.readLong();
    } else if (raw == double.class) {
      return in.readDouble();
    } else if (raw == boolean.class) {
      return in.readBoolean();
    }
    byte present = in.readByte();
    if (present == 0) {
      return null;
    }
    if (present != 1) {
      throw new IOException("bad presence byte " + present + " for a " + raw.getSimpleName());
    }
    if (raw == String.class) {
      return readString(in);
    } else if (raw == Integer.class) {
      return in.readInt();
    } else if (raw == Long.class) {
      return in.readLong();
    } else if (raw == Double.class) {
      return in.readDouble();
    } else if (raw == Boolean.class) {
      return in.readBoolean();
    } else if (raw.isEnum()) {
      String name = readString(in);
      try {
        return Enum.valueOf((Class<? extends Enum>) raw, name);
      } catch (IllegalArgumentException e) {
        throw new IOException("no " + raw.getSimpleName() + " named " + name, e);
      }
    } else if (raw.isRecord()) {
      return readRecord(in, SHAPES.get(raw));
    } else if (raw == List.class) {
      Type element = ((ParameterizedType) t).getActualTypeArguments()[0];
      int n = length(in);
      List<Object> list = new ArrayList<>(Math.min(n, 64));
      for (int i = 0; i < n; i++) {
        list.add(readValue(in, element));
      }
      return list;
    }
    Type[] kv = ((ParameterizedType) t).getActualTypeArguments();
    int n = length(in);
    Map<Object, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      map.put(readValue(in, kv[0]), readValue(in, kv[1]));
    }
    return map;
  }

  private static int length(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_LENGTH) {
      throw new IOException("bad length " + n + " in an order frame");
    }
    return n;
  }
}
