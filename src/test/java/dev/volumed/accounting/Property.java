package dev.volumed.accounting;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A small property-test harness: a property is a generator, a check and a number of tries. Each
 * try draws its case from its own seed; a failing case is shrunk (while a smaller one still fails)
 * and reported with the seed that reproduces the run: {@code -Dproperty.seed=S}, and
 * {@code -Dproperty.tries=N} for more or fewer tries (default 1000).
 */
final class Property {
  static final int TRIES = Integer.getInteger("property.tries", 1000);

  /** Draws one case. */
  interface Gen<T> {
    T next(SplittableRandom random);
  }

  /** Checks one case, failing with an AssertionError; returns a label counted for coverage. */
  interface Check<T> {
    String check(T value);
  }

  private Property() {}

  /**
   * Checks {@code tries} cases, shrinking the first failure with {@code smaller} (candidates one
   * step smaller, most promising first). Returns how many cases got each label.
   */
  static <T> Map<String, Integer> forAll(Gen<T> gen, Function<T, List<T>> smaller, Check<T> check) {
    long seed = Long.getLong("property.seed", new SplittableRandom().nextLong());
    SplittableRandom master = new SplittableRandom(seed);
    Map<String, Integer> labels = new TreeMap<>();
    for (int i = 0; i < TRIES; i++) {
      T value = gen.next(new SplittableRandom(master.nextLong()));
      try {
        labels.merge(check.check(value), 1, Integer::sum);
      } catch (AssertionError | RuntimeException failure) {
        Failure<T> smallest = shrink(new Failure<>(value, failure), smaller, check);
        AssertionError error = new AssertionError("property failed on try " + (i + 1)
            + " (rerun with -Dproperty.seed=" + seed + "); smallest failing case:\n  " + smallest.value
            + "\nfailure: " + smallest.failure, smallest.failure);
        throw error;
      }
    }
    return labels;
  }

  /** The share of the cases with {@code label}, in percent. */
  static double percent(Map<String, Integer> labels, String label) {
    int all = labels.values().stream().mapToInt(Integer::intValue).sum();
    return all == 0 ? 0 : 100.0 * labels.getOrDefault(label, 0) / all;
  }

  /** Candidates with one element of the list left out, from the back (later steps matter least). */
  static <E> List<List<E>> withoutOne(List<E> list) {
    List<List<E>> out = new ArrayList<>();
    for (int i = list.size() - 1; i >= 0; i--) {
      List<E> shorter = new ArrayList<>(list);
      shorter.remove(i);
      out.add(List.copyOf(shorter));
    }
    return out;
  }

  private record Failure<T>(T value, Throwable failure) {}

  private static <T> Failure<T> shrink(Failure<T> failing, Function<T, List<T>> smaller, Check<T> check) {
    boolean shrunk = true;
    while (shrunk) {
      shrunk = false;
      for (T candidate : smaller.apply(failing.value)) {
        try {
          check.check(candidate);
        } catch (AssertionError | RuntimeException failure) {
          failing = new Failure<>(candidate, failure);
          shrunk = true;
          break;
        }
      }
    }
    return failing;
  }
}
