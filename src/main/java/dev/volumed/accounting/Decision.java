package dev.volumed.accounting;

import dev.volumed.model.ErrorCode;

/** What the books say of a request: {@link Admit} it, or {@link Refuse} it with a code and why. */
public sealed interface Decision permits Decision.Admit, Decision.Refuse {

  /** The request fits: the caller may reserve it. */
  enum Admit implements Decision { INSTANCE }

  /** The request does not fit; {@code message} says which rule and what would fit. */
  record Refuse(ErrorCode code, String message) implements Decision {}
}
