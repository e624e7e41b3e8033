package io.cleave.common.id;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UlidTest {
  @Test
  void idsAreWellFormedUniqueAndIncreasing() {
    Set<String> seen = new HashSet<>();
    String previous = "";
    for (int i = 0; i < 50_000; i++) {
      String id = Ulid.next();
      assertEquals(26, id.length());
      assertTrue(Ulid.isValid(id), id);
      assertTrue(id.compareTo(previous) > 0, previous + " then " + id);
      assertTrue(seen.add(id));
      previous = id;
    }
  }

  @Test
  void timePartIsTheCurrentMillisecond() {
    long before = System.currentTimeMillis();
    String id = Ulid.next();
    long after = System.currentTimeMillis();
    long t = 0;
    for (char c : id.substring(0, 10).toCharArray()) {
      t = t * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(c);
    }
    assertTrue(t >= before && t <= after, t + " not in [" + before + ", " + after + "]");
  }

  @Test
  void rejectsWhatIsNotAUlid() {
    assertFalse(Ulid.isValid(null));
    assertFalse(Ulid.isValid("01ARZ3NDEKTSV4RRFFQ69G5FA"));
    assertFalse(Ulid.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));
    assertFalse(Ulid.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAU"));
    assertFalse(Ulid.isValid("81ARZ3NDEKTSV4RRFFQ69G5FAV"));
    assertTrue(Ulid.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  }
}
