package dev.volumed.accounting;

/**
 * One reading of the file system that holds a pool: {@code total} is its size, {@code free} what a
 * non-root writer can use (statvfs {@code f_bavail}). Whoever reads it passes it in; the books
 * never read a file system.
 */
public record Space(long total, long free) {}
