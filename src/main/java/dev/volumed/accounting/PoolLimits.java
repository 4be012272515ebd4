package dev.volumed.accounting;

import java.util.OptionalLong;

/**
 * What a pool's configuration says of its space: its name (for refusal messages), its capacity
 * if one is configured, the percentage of it kept back, and how far sizes may add up past what is
 * usable. The ranges ({@code 0 <= reservedPercent < 100}, {@code maxOvercommitRatio >= 1}) are
 * checked where the settings are read.
 */
public record PoolLimits(
    String name, OptionalLong capacity, double reservedPercent, double maxOvercommitRatio) {}
